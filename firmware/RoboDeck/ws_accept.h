// Sec-WebSocket-Accept (RFC 6455 section 4.2.2): base64(SHA-1(key + GUID)).
//
// SHA-1 (FIPS 180-4) written for flash, not speed. Words are big-endian
// bytes, and everything 32-bit is a short loop over them, as an AVR has no
// 32-bit instructions. The working variables and the message schedule sit
// in one array: the new a, a .. e, the schedule's next word, then w[15] ..
// w[0]. A round computes the next schedule word and the new a (f, k, e,
// w[0] and rol5(a) added byte by byte with one carry) into their places,
// rotates b by 30, and one move of the whole array a word up makes the new
// a the a, a the b, ..., d the e, the next word w[15], ..., and w[1] the
// w[0]. So every word has a fixed place and no round indexes a ring. That is slow: the accept value
// takes some 56 ms on a 16 MHz Uno (make avr-timing), so blocks are hashed
// a bounded piece at a time by step(), once per poll, which keeps every
// loop() call short. The context holds no pointers, so the link keeps it
// in its receive buffer, which is idle until the handshake is over.
#pragma once

#include <stdint.h>

namespace rd {

constexpr uint8_t kWsKeyChars = 24;     // base64 of a 16-byte nonce
constexpr uint8_t kWsAcceptChars = 28;  // base64 of a 20-byte digest

// Rounds hashed per step(): about 1.5 ms on a 16 MHz AVR (make avr-timing).
constexpr uint8_t kSha1RoundsPerStep = 4;
static_assert(80 % kSha1RoundsPerStep == 0, "a block is a whole number of steps");

/**
 * The SHA-1 of an accept value: the 24-character key, then the GUID, 60
 * bytes, which is all this firmware hashes; so the padding has one layout.
 */
class Sha1 {
 public:
  void begin();
  /** Adds a character of the key (at most kWsKeyChars, or one more that only counts). */
  void add(uint8_t b);
  /** Sets byte `n` of the key (n < kWsKeyChars) without counting it, as a client writes its own. */
  void put(uint8_t n, uint8_t b);
  /** The accept value (4.2.2): the GUID after the key, and the padding. */
  void endAccept();
  /**
   * A bounded piece of the work: kSha1RoundsPerStep rounds of a block, or
   * the length's block set up. True once none is left (at once without
   * endAccept()); digest() then holds the 20-byte hash.
   */
  bool step();
  const uint8_t *digest() const { return h_; }
  /** Character `i` of the accept value: the digest's base64. */
  char acceptAt(uint8_t i) const;
  /** Bytes added since begin(). */
  uint8_t added() const { return bytes_; }

 private:
  void rounds(uint8_t n);
  void rol(uint8_t at, uint8_t n);
  // The scalars first: an AVR reaches 63 bytes into an object with one instruction.
  uint8_t round_;  // of the block being hashed; 80: none
  uint8_t bytes_;  // added; 64 from endAccept() until the second block is set up, then 0
  uint8_t h_[21];  // h0 .. h4, then the digest; and a 0 for acceptAt()
  // Words: the new a, a, b, c, d, e, the schedule's next, w[15] .. w[0]
  // (the block being filled, then its schedule).
  uint8_t s_[23 * 4];
};

/** The base64 (RFC 4648) character of a 6-bit value. */
char base64Digit(uint8_t d);

/** Character `i` of the base64 (RFC 4648) of `len` bytes, '=' padding included. */
char base64At(const uint8_t *in, uint8_t len, uint8_t i);

/** base64 of `len` bytes plus a NUL into `out` (4*ceil(len/3)+1 bytes). */
void base64(const uint8_t *in, uint8_t len, char *out);

/** The accept value for a client key of kWsKeyChars characters, written with a NUL. */
void wsAccept(const char *key, char out[kWsAcceptChars + 1]);

}  // namespace rd
