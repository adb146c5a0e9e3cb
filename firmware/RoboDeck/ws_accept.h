// Sec-WebSocket-Accept (RFC 6455 section 4.2.2): base64(SHA-1(key + GUID)).
//
// SHA-1 (FIPS 180-4) for 8-bit machines: every 32-bit word is four
// big-endian bytes and every operation a short loop over them, because an
// AVR has no 32-bit instructions and inlined 32-bit rotates and adds cost
// a kilobyte of flash. That is slow: a block takes some 24 ms on a 16 MHz
// Uno (make avr-timing), and the accept value is two. So blocks are
// hashed a bounded piece at a time by step(), once per poll, which keeps
// every loop() call short. The context holds no pointers, so the link
// keeps it in its receive buffer, which is idle until the handshake is over.
#pragma once

#include <stdint.h>

namespace rd {

constexpr uint8_t kWsKeyChars = 24;     // base64 of a 16-byte nonce
constexpr uint8_t kWsAcceptChars = 28;  // base64 of a 20-byte digest

// Rounds hashed per step(): about 2.4 ms on a 16 MHz AVR (make avr-timing).
constexpr uint8_t kSha1RoundsPerStep = 8;
static_assert(80 % kSha1RoundsPerStep == 0, "a block is a whole number of steps");

/**
 * The SHA-1 of an accept value: the 24-character key, then the GUID, 60
 * bytes, which is all this firmware hashes; so the padding has one layout.
 */
class Sha1 {
 public:
  void begin();
  /** Adds a character of the key (at most kWsKeyChars). */
  void add(uint8_t b);
  /** The accept value (4.2.2): the GUID after the key, and the padding. */
  void endAccept();
  /**
   * A bounded piece of the work: kSha1RoundsPerStep rounds of a block, or
   * the length's block set up. True once none is left (at once without
   * endAccept()); digest() then holds the 20-byte hash.
   */
  bool step();
  const uint8_t *digest() const { return h_; }

 private:
  void rounds(uint8_t n);
  // The scalars first: an AVR reaches 63 bytes into an object with one instruction.
  uint8_t round_;  // of the block being hashed; 80: none
  uint8_t bytes_;  // added; 60 from endAccept() until the second block is set up, then 0
  uint8_t t_[4];
  uint8_t v_[20];  // a, b, c, d, e while a block is hashed
  uint8_t h_[20];  // five big-endian words
  uint8_t w_[64];  // the block being filled, then its schedule (a ring of 16 words)
};

/** Character `i` of the base64 (RFC 4648) of `len` bytes, '=' padding included. */
char base64At(const uint8_t *in, uint8_t len, uint8_t i);

/** base64 of `len` bytes plus a NUL into `out` (4*ceil(len/3)+1 bytes). */
void base64(const uint8_t *in, uint8_t len, char *out);

/** The accept value for a client key of kWsKeyChars characters, written with a NUL. */
void wsAccept(const char *key, char out[kWsAcceptChars + 1]);

}  // namespace rd
