// Sec-WebSocket-Accept (RFC 6455 section 4.2.2): base64(SHA-1(key + GUID)).
//
// SHA-1 (FIPS 180-4) written for flash, not speed. The working variables
// and the message schedule sit in one array, e d c b a, the new a, then
// the 16 words of the schedule and the next one; a round computes the new
// a and the next schedule word into their slots, and one move of the whole
// array by a word makes d the new e, ..., the new a the new a, and w[1]
// the new w[0]. So every word has a fixed place and no round indexes a
// ring. Words are the machine's own (little-endian on every board we
// build for), which makes the adds and rotates plain 32-bit arithmetic.
// A block is hashed a bounded piece at a time by step(), once per poll,
// which keeps every loop() call short. The context holds no pointers, so
// the link keeps it in its receive buffer, which is idle until the
// handshake is over.
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
  void rol(uint8_t to, uint8_t n);
  // The scalars first: an AVR reaches 63 bytes into an object with one instruction.
  uint8_t round_;  // of the block being hashed; 80: none
  uint8_t bytes_;  // added; 60 from endAccept() until the second block is set up, then 0
  // h4 .. h0 while hashing, then the digest: big-endian h0 .. h4.
  uint8_t h_[20];
  // Words: e, d, c, b, a, the new a, w[0] .. w[15] (the block being filled,
  // then its schedule), the next w.
  uint8_t s_[23 * 4];
};

/** Character `i` of the base64 (RFC 4648) of `len` bytes, '=' padding included. */
char base64At(const uint8_t *in, uint8_t len, uint8_t i);

/** base64 of `len` bytes plus a NUL into `out` (4*ceil(len/3)+1 bytes). */
void base64(const uint8_t *in, uint8_t len, char *out);

/** The accept value for a client key of kWsKeyChars characters, written with a NUL. */
void wsAccept(const char *key, char out[kWsAcceptChars + 1]);

}  // namespace rd
