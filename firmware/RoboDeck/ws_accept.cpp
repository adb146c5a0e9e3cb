#include "ws_accept.h"

#include "rd_pgm.h"

namespace rd {

static const char kGuid[] PROGMEM = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
static const char kB64[] PROGMEM =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const uint32_t kRoundK[4] PROGMEM = {0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xCA62C1D6};

/** Rotate left by n bits, one bit at a time: small beats fast here. */
static uint32_t __attribute__((noinline)) rol(uint32_t x, uint8_t n) {
  while (n--) x = x << 1 | x >> 31;
  return x;
}

Sha1::Sha1() : h_{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0} {}

void Sha1::add(uint8_t b) {
  uint32_t &w = w_[(bytes_ >> 2) & 15];
  w = w << 8 | b;
  if ((++bytes_ & 63) == 0) block();
}

void Sha1::block() {
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
  for (uint8_t i = 0; i < 80; i++) {
    uint32_t &w = w_[i & 15];
    if (i >= 16) w = rol(w_[(i + 13) & 15] ^ w_[(i + 8) & 15] ^ w_[(i + 2) & 15] ^ w, 1);
    uint8_t round = i / 20;
    uint32_t f = round == 0 ? (b & c) | (~b & d) : round == 2 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
    uint32_t k;
    memcpy_P(&k, &kRoundK[round], sizeof k);
    uint32_t t = rol(a, 5) + f + e + k + w;
    e = d, d = c, c = rol(b, 30), b = a, a = t;
  }
  h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d, h_[4] += e;
}

void Sha1::finish(uint8_t out[20]) {
  uint16_t bits = bytes_ * 8;  // our inputs are a few dozen bytes
  add(0x80);
  while ((bytes_ & 63) != 56) add(0);
  for (uint8_t i = 0; i < 6; i++) add(0);  // the top of the 64-bit length
  add((uint8_t)(bits >> 8));
  add((uint8_t)bits);
  for (uint8_t i = 0; i < 20; i++) out[i] = (uint8_t)(h_[i >> 2] >> (24 - 8 * (i & 3)));
}

void base64(const uint8_t *in, uint8_t len, char *out) {
  for (uint8_t i = 0; i < len; i += 3) {
    uint8_t left = len - i;
    uint8_t a = in[i], b = left > 1 ? in[i + 1] : 0, c = left > 2 ? in[i + 2] : 0;
    uint8_t idx[4] = {(uint8_t)(a >> 2), (uint8_t)((a & 3) << 4 | b >> 4),
                      (uint8_t)((b & 15) << 2 | c >> 6), (uint8_t)(c & 63)};
    for (uint8_t j = 0; j < 4; j++) *out++ = j <= left ? pchar(kB64, idx[j]) : '=';
  }
  *out = 0;
}

void wsAccept(const char *key, uint8_t keyLen, char out[kWsAcceptChars + 1]) {
  Sha1 sha;
  for (uint8_t i = 0; i < keyLen; i++) sha.add((uint8_t)key[i]);
  for (uint8_t i = 0; i < sizeof(kGuid) - 1; i++) sha.add((uint8_t)pchar(kGuid, i));
  uint8_t digest[20];
  sha.finish(digest);
  base64(digest, 20, out);
}

}  // namespace rd
