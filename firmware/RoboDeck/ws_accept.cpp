#include "ws_accept.h"

#include "rd_pgm.h"

namespace rd {

static const char kGuid[] PROGMEM = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// The key and the GUID: past 55 bytes, so the length takes a second block.
constexpr uint8_t kAcceptInput = kWsKeyChars + sizeof kGuid - 1;
static_assert(kAcceptInput == 60, "the padding below is laid out for 60 bytes");

static const uint8_t kInit[20] PROGMEM = {0x67, 0x45, 0x23, 0x01, 0xEF, 0xCD, 0xAB, 0x89, 0x98, 0xBA,
                                          0xDC, 0xFE, 0x10, 0x32, 0x54, 0x76, 0xC3, 0xD2, 0xE1, 0xF0};
// In RAM: read straight by add(), with no copy out of flash and no stack frame for it.
static const uint8_t kRoundK[16] = {0x5A, 0x82, 0x79, 0x99, 0x6E, 0xD9, 0xEB, 0xA1,
                                            0x8F, 0x1B, 0xBC, 0xDC, 0xCA, 0x62, 0xC1, 0xD6};

/** x = x rotated left by n bits (x: one big-endian word). */
static RD_NOINLINE void rol(uint8_t *x, uint8_t n) {
  uint32_t v = (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint16_t)(x[2] << 8 | x[3]);
  while (n--) v = v << 1 | v >> 31;  // a shift through the carry on an AVR
  x[0] = (uint8_t)(v >> 24), x[1] = (uint8_t)(v >> 16), x[2] = (uint8_t)(v >> 8), x[3] = (uint8_t)v;
}

/** x += y (mod 2^32). */
static RD_NOINLINE void add(uint8_t *x, const uint8_t *y) {
  uint16_t sum = 0;
  for (uint8_t i = 4; i--;) {
    sum += (uint16_t)x[i] + y[i];
    x[i] = (uint8_t)sum;
    sum >>= 8;
  }
}

void Sha1::begin() {
  memcpy_P(h_, kInit, sizeof h_);
  bytes_ = 0;
  round_ = 80;
}

RD_NOINLINE void Sha1::add(uint8_t b) { w_[bytes_++] = b; }

// `n` rounds of the block in w_, from round_ on; the last adds it into h_.
void Sha1::rounds(uint8_t n) {
  if (!round_) memcpy(v_, h_, sizeof v_);
  do {
    uint8_t i = round_++;
    uint8_t *w = w_ + 4 * (i & 15);
    if (i >= 16) {
      // w[i] = rol1(w[i-3] ^ w[i-8] ^ w[i-14] ^ w[i-16]) in a ring of the last 16 words,
      // where w[i-16] is w[i]'s own slot and the others are 13, 8 and 2 slots on.
      for (uint8_t k = 2; k < 16; k += k == 2 ? 6 : 5)
        for (uint8_t j = 0; j < 4; j++) w[j] ^= w_[4 * ((i + k) & 15) + j];
      rol(w, 1);
    }
    uint8_t round = i / 20;
    for (uint8_t j = 0; j < 4; j++) {
      uint8_t b = v_[4 + j], c = v_[8 + j], d = v_[12 + j];
      t_[j] = round == 0 ? (uint8_t)(d ^ (b & (c ^ d)))
              : round == 2 ? (uint8_t)((b & c) | (d & (b | c)))
                           : (uint8_t)(b ^ c ^ d);
    }
    rd::add(t_, &kRoundK[4 * round]);
    rd::add(t_, v_ + 16);  // + e
    rd::add(t_, w);
    for (uint8_t j = 19; j >= 4; j--) v_[j] = v_[j - 4];  // e = d, d = c, c = b, b = a
    rol(v_, 5);
    rd::add(t_, v_);  // + rol(a, 5)
    rol(v_ + 8, 30);
    memcpy(v_, t_, 4);
  } while (--n);
  if (round_ == 80)
    for (uint8_t i = 0; i < 20; i += 4) rd::add(h_ + i, v_ + i);
}

bool Sha1::step() {
  if (round_ < 80) {
    rounds(kSha1RoundsPerStep);
    return false;
  }
  // Done, or nothing to hash (no endAccept()), unless the first block just ended:
  // then the second holds the length alone, 480 bits.
  if (bytes_ != kAcceptInput) return true;
  memset(w_, 0, 62);
  w_[62] = (uint8_t)(kAcceptInput * 8 >> 8);
  w_[63] = (uint8_t)(kAcceptInput * 8);
  bytes_ = 0, round_ = 0;
  return false;
}

void Sha1::endAccept() {
  for (uint8_t i = 0; i < sizeof kGuid - 1; i++) add((uint8_t)pchar(kGuid, i));
  // The padding: 0x80 and zeros fill the first block; the length does not fit after them.
  w_[kAcceptInput] = 0x80;
  memset(w_ + kAcceptInput + 1, 0, 64 - kAcceptInput - 1);
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
