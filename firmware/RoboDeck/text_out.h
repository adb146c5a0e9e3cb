// A byte sink for everything the robot sends: HTTP handshakes and JSON.
//
// Writers run once, through a small chunk buffer that is handed to a sink
// when full (and before the next byte goes in) and by flush(). So no message
// is ever held whole in RAM, however long a telemetry batch: the link sends
// each chunk as a frame of a fragmented message (ws_link.h).
#pragma once

#include <stdint.h>

#include "rd_pgm.h"

namespace rd {

class Out {
 public:
  typedef void (*Sink)(void *ctx, const uint8_t *data, uint16_t len);

  /** `cap`: the chunk's size, up to 255 bytes. */
  RD_NOINLINE Out(uint8_t *chunk, uint8_t cap, Sink sink, void *ctx)
      : buf_(chunk), at_(chunk), end_(chunk + cap), sink_(sink), ctx_(ctx) {}

  void put(char c);
  void putP(const char *p);                   // a P-string (flash on AVR)
  void putU(uint32_t v);
  void putUrl(const char *p);                 // a P-string, percent-encoded
  /** Hands what is in the chunk to the sink, even nothing (an empty last frame). */
  uint8_t *flush();  // answers where the next byte goes: the chunk's start

 private:
  uint8_t *buf_, *at_, *end_;  // the chunk, where the next byte goes, its end
  Sink sink_;
  void *ctx_;
};

}  // namespace rd
