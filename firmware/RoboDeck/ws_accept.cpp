#include "ws_accept.h"

#include "rd_pgm.h"

namespace rd {

static const char kGuid[] PROGMEM = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// The key and the GUID: past 55 bytes, so the length takes a second block.
constexpr uint8_t kAcceptInput = kWsKeyChars + sizeof kGuid - 1;
static_assert(kAcceptInput == 60, "the padding below is laid out for 60 bytes");

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the SHA-1 lays its words out little-endian");

// h4 .. h0 (the order of e .. a in the working array).
static const uint32_t kInit[5] PROGMEM = {0xC3D2E1F0, 0x10325476, 0x98BADCFE, 0xEFCDAB89, 0x67452301};
// In RAM: read straight by the round, with no copy out of flash.
static const uint32_t kRoundK[4] = {0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xCA62C1D6};

// Word slots of the working array.
enum : uint8_t { kE, kD, kC, kB, kA, kNewA, kW, kNextW = kW + 16 };

typedef uint32_t Word __attribute__((aligned(1), may_alias));  // the context lives in a byte buffer

/** Word slot `to` rotated left by n bits. */
RD_NOINLINE void Sha1::rol(uint8_t to, uint8_t n) {
  uint32_t v = *(Word *)(s_ + 4 * to);
  while (n--) v = v << 1 | v >> 31;  // a shift through the carry on an AVR
  *(Word *)(s_ + 4 * to) = v;
}

void Sha1::begin() {
  memcpy_P(h_, kInit, sizeof h_);
  bytes_ = 0;
  round_ = 80;
}

// Byte n of the block, big-endian in its word.
RD_NOINLINE void Sha1::add(uint8_t b) { s_[4 * kW + (bytes_++ ^ 3)] = b; }

// `n` rounds of the block in w, from round_ on; the last adds it into h_.
void Sha1::rounds(uint8_t n) {
  if (!round_) memcpy(s_, h_, sizeof h_);
  do {
    const uint8_t *k = (const uint8_t *)&kRoundK[round_++ / 20];
    rol(kA, 5);
    // Byte by byte, least significant first: the next schedule word, f, and
    // the new a = rol5(a) + f + k + e + w[0], with the carry.
    uint16_t sum = 0;
    for (uint8_t j = 0; j < 4; j++) {
      uint8_t *p = s_ + j;
      // The schedule's next word, needed from round 16 on (6.1.2): rol1(w[13] ^ w[8] ^ w[2] ^ w[0]).
      p[4 * kNextW] = p[4 * (kW + 13)] ^ p[4 * (kW + 8)] ^ p[4 * (kW + 2)] ^ p[4 * kW];
      uint8_t b = p[4 * kB], c = p[4 * kC], d = p[4 * kD];
      uint8_t f = k == (const uint8_t *)&kRoundK[0] ? (uint8_t)(d ^ (b & (c ^ d)))
                  : k == (const uint8_t *)&kRoundK[2] ? (uint8_t)((b & c) | (d & (b | c)))
                                                      : (uint8_t)(b ^ c ^ d);
      sum += (uint16_t)(p[4 * kA] + f + k[j] + p[4 * kE] + p[4 * kW]);
      p[4 * kNewA] = (uint8_t)sum;
      sum >>= 8;
    }
    rol(kNextW, 1);
    rol(kA, 27);
    rol(kB, 30);
    // e = d, d = c, c = rol30(b), b = a, a = the new a, and the schedule a word on.
    for (uint8_t i = 0; i < sizeof s_ - 4; i++) s_[i] = s_[i + 4];
  } while (--n);
  if (round_ == 80)
    for (uint8_t i = 0; i < 20; i += 4) *(Word *)(h_ + i) += *(Word *)(s_ + i);
}

bool Sha1::step() {
  if (round_ < 80) {
    rounds(kSha1RoundsPerStep);
    return false;
  }
  // Done, or nothing to hash (no endAccept()), unless the first block just ended:
  // then the second holds the length alone, 480 bits.
  if (bytes_ != kAcceptInput) {
    if (!bytes_) {
      // The digest: h4 .. h0 little-endian, reversed whole, is h0 .. h4 big-endian.
      for (uint8_t i = 0; i < 10; i++) {
        uint8_t t = h_[i];
        h_[i] = h_[19 - i], h_[19 - i] = t;
      }
      bytes_ = 0xFF;
    }
    return true;
  }
  memset(s_ + 4 * kW, 0, 60);
  *(Word *)(s_ + 4 * (kW + 15)) = kAcceptInput * 8;
  bytes_ = 0, round_ = 0;
  return false;
}

void Sha1::endAccept() {
  for (uint8_t i = 0; i < sizeof kGuid - 1; i++) add((uint8_t)pchar(kGuid, i));
  // The padding: 0x80 and zeros fill the first block; the length does not fit after them.
  *(Word *)(s_ + 4 * (kW + 15)) = 0x80000000;
  round_ = 0;
}

RD_NOINLINE char base64At(const uint8_t *in, uint8_t len, uint8_t i) {
  uint8_t bit = (uint8_t)(i * 6), at = bit >> 3;
  if (at >= len) return '=';
  uint16_t v = (uint16_t)(in[at] << 8 | (at + 1 < len ? in[at + 1] : 0));
  uint8_t d = (uint8_t)(v >> (10 - (bit & 7)) & 63);
  return (char)(d < 26 ? 'A' + d : d < 52 ? 'a' - 26 + d : d < 62 ? '0' - 52 + d : d == 62 ? '+' : '/');
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
