// Sec-WebSocket-Accept (RFC 6455 section 4.2.2): base64(SHA-1(key + GUID)).
//
// SHA-1 (FIPS 180-4) for 8-bit machines: every 32-bit word is four
// big-endian bytes and every operation a short loop over them, because an
// AVR has no 32-bit instructions and inlined 32-bit rotates and adds cost
// a kilobyte of flash. It runs once per handshake: two blocks, some 40 ms
// on a 16 MHz AVR by instruction count (bit-by-bit rotates), while the
// link is not open and the motors are stopped. Rotating whole bytes first
// would halve that for 28 B. The context holds no pointers, so the link
// keeps it in its receive buffer, which is idle until the handshake is over.
#pragma once

#include <stdint.h>

namespace rd {

constexpr uint8_t kWsKeyChars = 24;     // base64 of a 16-byte nonce
constexpr uint8_t kWsAcceptChars = 28;  // base64 of a 20-byte digest

class Sha1 {
 public:
  void begin();
  void add(uint8_t b);
  /** Pads and finishes: digest() then holds the 20-byte hash. */
  void finish();
  const uint8_t *digest() const { return h_; }

  /** The GUID of 4.2.2 and the hash: digest() is the accept value's bytes. */
  void finishAccept();

 private:
  void block();
  uint8_t h_[20];  // five big-endian words
  uint8_t w_[64];  // the block being filled, then its schedule (a ring of 16 words)
  uint8_t v_[20];  // a, b, c, d, e while a block is hashed
  uint8_t t_[4];
  uint16_t bytes_;
};

/** Character `i` of the base64 (RFC 4648) of `len` bytes, '=' padding included. */
char base64At(const uint8_t *in, uint8_t len, uint8_t i);

/** base64 of `len` bytes plus a NUL into `out` (4*ceil(len/3)+1 bytes). */
void base64(const uint8_t *in, uint8_t len, char *out);

/** The accept value for a client key of `keyLen` characters (written with a NUL). */
void wsAccept(const char *key, uint8_t keyLen, char out[kWsAcceptChars + 1]);

}  // namespace rd
