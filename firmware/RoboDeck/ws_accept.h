// Sec-WebSocket-Accept (RFC 6455 section 4.2.2): base64(SHA-1(key + GUID)).
//
// SHA-1 (FIPS 180-4) for 8-bit machines: every 32-bit word is four
// big-endian bytes and every operation a short loop over them, because an
// AVR has no 32-bit instructions and inlined 32-bit rotates and adds cost
// a kilobyte of flash. It runs once per handshake; a few milliseconds
// there do not matter.
#pragma once

#include <stdint.h>

namespace rd {

class Sha1 {
 public:
  Sha1();
  void add(uint8_t b);
  /** Pads, finishes and writes the 20-byte digest. */
  void finish(uint8_t out[20]);

 private:
  void block();
  uint8_t h_[20];  // five big-endian words
  uint8_t w_[64];  // the block being filled: sixteen words
  uint16_t bytes_ = 0;
};

/** Writes the base64 of `len` bytes plus a NUL into `out` (4*ceil(len/3)+1 bytes). */
void base64(const uint8_t *in, uint8_t len, char *out);

constexpr uint8_t kWsKeyChars = 24;     // base64 of a 16-byte nonce
constexpr uint8_t kWsAcceptChars = 28;  // base64 of a 20-byte digest

/** The accept value for a client key of `keyLen` characters (written with a NUL). */
void wsAccept(const char *key, uint8_t keyLen, char out[kWsAcceptChars + 1]);

}  // namespace rd
