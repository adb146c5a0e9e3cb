#include "ws_accept.h"

#include "rd_config.h"

namespace rd {

// The GUID, then the padding that fills the first block: 0x80 and zeros
// (the last one the literal's own NUL).
constexpr char kGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11\x80\0\0";
// The key and the GUID: past 55 bytes, so the length takes a second block.
constexpr uint8_t kAcceptInput = kWsKeyChars + 36;
static_assert(kWsKeyChars + sizeof kGuid == 64, "the key, the GUID and the padding fill a block");
// The same in the order add() stores bytes 24 to 63 of the block: byte n at
// place n ^ 60 from w[15]'s, which takes them to places 39 down to 0, word
// by word. So endAccept() copies them there at once.
#define RD_G(p) (uint8_t) kGuid[((p) ^ 60) - kWsKeyChars]
#define RD_G4(p) RD_G(p), RD_G(p + 1), RD_G(p + 2), RD_G(p + 3)
static const uint8_t kGuidBlock[sizeof kGuid] PROGMEM = {RD_G4(0),  RD_G4(4),  RD_G4(8),  RD_G4(12), RD_G4(16),
                                                         RD_G4(20), RD_G4(24), RD_G4(28), RD_G4(32), RD_G4(36)};
#undef RD_G4
#undef RD_G

// What begin() sets: round_ (80: none), bytes_, then h0 .. h4 and the 0 after the digest.
static const uint8_t kInit[23] PROGMEM = {80, 0, 0x67, 0x45, 0x23, 0x01, 0xEF, 0xCD, 0xAB, 0x89, 0x98, 0xBA, 0xDC,
                                          0xFE, 0x10, 0x32, 0x54, 0x76, 0xC3, 0xD2, 0xE1, 0xF0, 0};
// In RAM: read straight by the round, with no copy out of flash.
static const uint8_t kRoundK[16] = {0x5A, 0x82, 0x79, 0x99, 0x6E, 0xD9, 0xEB, 0xA1,
                                    0x8F, 0x1B, 0xBC, 0xDC, 0xCA, 0x62, 0xC1, 0xD6};

// Where each word of the working array starts: the new a, a .. e (in h's
// order), the schedule's next word, then w[15] .. w[0].
enum : uint8_t { kNewA = 0, kA = 4, kB = 8, kC = 12, kD = 16, kE = 20, kNextW = 24, kW15 = 28, kW0 = 88 };

/** The big-endian word at s_[at] rotated left by n bits. */
RD_NOINLINE void Sha1::rol(uint8_t at, uint8_t n) {
  uint8_t *x = s_ + at;
  while (n--) {
    uint8_t carry = x[0] >> 7;
    for (uint8_t *p = x + 4; p != x;) {
      uint16_t v = (uint16_t)(*--p << 1 | carry);
      *p = (uint8_t)v;
      carry = (uint8_t)(v >> 8);
    }
  }
}

void Sha1::begin() {
  static_assert(offsetof(Sha1, bytes_) == 1 && offsetof(Sha1, h_) == 2, "begin() sets them as one");
  memcpy_P(this, kInit, sizeof kInit);
}

// Byte n of the block goes to word n / 4, counted down from w[0]'s place:
// 4 + (60 - n rounded down to 4) + n % 4 is 4 + (n ^ 60).
void Sha1::put(uint8_t n, uint8_t b) { s_[kW15 + (n ^ 60)] = b; }
void Sha1::add(uint8_t b) { put(bytes_++, b); }

// `n` rounds of the block in w, from round_ on; the last adds it into h_.
void Sha1::rounds(uint8_t n) {
  static_assert(sizeof s_ == kW0 + 4 && sizeof h_ == 21, "the working array's words");
  if (!round_) memcpy(s_ + kA, h_, 20);
  do {
    uint8_t kind = 0;  // 4 * (round / 20)
    for (uint8_t r = round_++; r >= 20; r -= 20) kind += 4;
    rol(kA, 5);
    // Byte by byte, least significant first: the next schedule word, f, and
    // the new a = rol5(a) + f + k + e + w[0], with the carry.
    uint8_t carry = 0;
    for (uint8_t j = 4; j--;) {
      uint8_t *p = s_ + j;
      // The schedule's next word, needed from round 16 on (6.1.2): rol1(w[13] ^ w[8] ^ w[2] ^ w[0]).
      p[kNextW] = p[kW0 - 4 * 13] ^ p[kW0 - 4 * 8] ^ p[kW0 - 4 * 2] ^ p[kW0];
      uint8_t b = p[kB], c = p[kC], d = p[kD];
      // Ch, Maj (where b and c differ, d decides) and Parity, around c ^ d.
      uint8_t x = c ^ d;
      uint8_t f = kind == 0 ? (uint8_t)(d ^ (b & x)) : kind == 8 ? (uint8_t)(c ^ ((b ^ c) & x)) : (uint8_t)(b ^ x);
      uint16_t sum = (uint16_t)(p[kA] + f + kRoundK[(uint8_t)(kind + j)] + p[kE] + p[kW0] + carry);
      p[kNewA] = (uint8_t)sum;
      carry = (uint8_t)(sum >> 8);
    }
    rol(kNextW, 1);
    rol(kA, 27);
    rol(kB, 30);
    // e = d, d = c, c = rol30(b), b = a, a = the new a, and the schedule a word on.
    for (uint8_t i = sizeof s_ - 1; i >= 4; i--) s_[i] = s_[i - 4];
  } while (--n);
  if (round_ == 80) {
    uint8_t carry = 0;
    for (uint8_t i = 20; i--;) {
      uint16_t sum = (uint16_t)(h_[i] + s_[kA + i] + carry);
      h_[i] = (uint8_t)sum;
      carry = i & 3 ? (uint8_t)(sum >> 8) : 0;  // each word on its own
    }
  }
}

bool Sha1::step() {
  if (round_ < 80) {
    rounds(kSha1RoundsPerStep);
    return false;
  }
  // Done, or nothing to hash (no endAccept()), unless the first block just ended:
  // then the second holds the length alone, 480 bits.
  if (bytes_ != 64) return true;
  memset(s_ + kW15, 0, 64);
  s_[kW15 + 2] = (uint8_t)(kAcceptInput * 8 >> 8);
  s_[kW15 + 3] = (uint8_t)(kAcceptInput * 8);
  bytes_ = 0, round_ = 0;
  return false;
}

void Sha1::endAccept() {
  // The GUID and the padding; the length does not fit after them.
  memcpy_P(s_ + kW15, kGuidBlock, sizeof kGuidBlock);
  bytes_ = 64, round_ = 0;
}

// The 6 bits at `bit` of hi and lo, its byte and the next.
static uint8_t sixBits(uint8_t hi, uint8_t lo, uint8_t bit) {
  // Assembled a byte at a time: as one expression, avr-gcc moves the bytes twice.
  uint16_t v = lo;
  v |= (uint16_t)hi << 8;
  v = (uint16_t)(v << (bit & 7));
  return (uint8_t)(v >> 10);
}

char base64Digit(uint8_t d) {
  // A-Z, a-z, 0-9, '+' (43) and '/' (47), each range an offset from the last.
  uint8_t ch = (uint8_t)(d + 'A');
  if (d >= 26) ch += 'a' - 'A' - 26;
  if (d >= 52) ch -= 'a' + 26 - '0';
  if (d >= 62) ch = (uint8_t)(d * 4 - 205);
  return (char)ch;
}

char base64At(const uint8_t *in, uint8_t len, uint8_t i) {
  uint8_t bit = (uint8_t)(i * 6), at = (uint8_t)(bit / 8);
  if (at >= len) return '=';
  return base64Digit(sixBits(in[at], at + 1 < len ? in[at + 1] : 0, bit));
}

// Out of line for a client, whose matcher calls it; on a server board its
// only call is the 101's loop, where inlined it costs less.
#if !defined(ROBODECK_HOST) && RD_MODE == RD_MODE_DIRECT
#define RD_ACCEPT_AT
#else
#define RD_ACCEPT_AT RD_NOINLINE
#endif
RD_ACCEPT_AT char Sha1::acceptAt(uint8_t i) const {
  uint8_t bit = (uint8_t)(i * 6), at = (uint8_t)(bit / 8);
  if (at >= sizeof h_ - 1) return '=';
  return base64Digit(sixBits(h_[at], h_[at + 1], bit));  // h_[20] is 0
}

void base64(const uint8_t *in, uint8_t len, char *out) {
  uint8_t n = (uint8_t)((len + 2) / 3 * 4);
  for (uint8_t i = 0; i < n; i++) out[i] = base64At(in, len, i);
  out[n] = 0;
}

void wsAccept(const char *key, char out[kWsAcceptChars + 1]) {
  Sha1 sha;
  sha.begin();
  for (uint8_t i = 0; i < kWsKeyChars; i++) sha.add((uint8_t)key[i]);
  sha.endAccept();
  while (!sha.step()) {
  }
  base64(sha.digest(), 20, out);
}

}  // namespace rd
