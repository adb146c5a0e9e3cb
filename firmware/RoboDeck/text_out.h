// A byte sink for everything the robot sends: HTTP handshakes and JSON.
//
// Writers run twice over the same message: once with no buffer, only to
// count its length (a WebSocket header states it up front), then for real,
// through a small chunk buffer that is handed to the network when full.
// So no message is ever held whole in RAM, however long a telemetry batch.
#pragma once

#include <stdint.h>

#include "rd_pgm.h"

namespace rd {

class Out {
 public:
  typedef void (*Sink)(void *ctx, const uint8_t *data, uint16_t len);

  /** A counting Out: nothing is written, only `count()` grows. */
  RD_NOINLINE Out() {}
  RD_NOINLINE Out(uint8_t *chunk, uint16_t cap, Sink sink, void *ctx)
      : buf_(chunk), at_(chunk), end_(chunk + cap), sink_(sink), ctx_(ctx) {}

  /** From now on XOR every byte with this 4-byte key (RFC 6455 5.3). */
  void mask(const uint8_t *key) { mask_ = key, maskPos_ = 0; }

  void put(char c);
  void putP(const char *p);                   // a P-string (flash on AVR)
  void putN(const char *p, uint16_t n);       // n bytes of a P-string
  void putU(uint32_t v);
  void putI(int32_t v);
  void putUrl(const char *p);                 // a P-string, percent-encoded
  void flush();

  uint16_t count() const { return count_; }

 private:
  uint8_t *buf_ = nullptr, *at_ = nullptr, *end_ = nullptr;  // the chunk, where the next byte goes, its end
  uint16_t count_ = 0;
  Sink sink_ = nullptr;
  void *ctx_ = nullptr;
  const uint8_t *mask_ = nullptr;
  uint8_t maskPos_ = 0;
};

}  // namespace rd
