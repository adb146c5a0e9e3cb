#include "ws_accept.h"

#include "rd_pgm.h"

namespace rd {

static const char kGuid[] PROGMEM = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
static const char kB64[] PROGMEM =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint32_t rol(uint32_t x, uint8_t n) { return (x << n) | (x >> (32 - n)); }

Sha1::Sha1() : h_{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0} {}

void Sha1::add(uint8_t b) {
  buf_[bytes_++ & 63] = b;
  if ((bytes_ & 63) == 0) block();
}

void Sha1::block() {
  uint32_t w[16];
  for (uint8_t i = 0; i < 16; i++)
    w[i] = (uint32_t)buf_[4 * i] << 24 | (uint32_t)buf_[4 * i + 1] << 16 |
           (uint32_t)buf_[4 * i + 2] << 8 | buf_[4 * i + 3];
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
  for (uint8_t i = 0; i < 80; i++) {
    if (i >= 16) w[i & 15] = rol(w[(i + 13) & 15] ^ w[(i + 8) & 15] ^ w[(i + 2) & 15] ^ w[i & 15], 1);
    uint32_t f, k;
    if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
    else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
    else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
    else f = b ^ c ^ d, k = 0xCA62C1D6;
    uint32_t t = rol(a, 5) + f + e + k + w[i & 15];
    e = d, d = c, c = rol(b, 30), b = a, a = t;
  }
  h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d, h_[4] += e;
}

void Sha1::finish(uint8_t out[20]) {
  uint32_t bits = bytes_ * 8;  // our inputs are far below 512 MB
  add(0x80);
  while ((bytes_ & 63) != 56) add(0);
  for (int8_t s = 56; s >= 0; s -= 8) add(s >= 32 ? 0 : (uint8_t)(bits >> s));
  for (uint8_t i = 0; i < 20; i++) out[i] = (uint8_t)(h_[i >> 2] >> (24 - 8 * (i & 3)));
}

void base64(const uint8_t *in, uint8_t len, char *out) {
  for (uint8_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < len) v |= in[i + 2];
    for (uint8_t j = 0; j < 4; j++)
      *out++ = i + j <= len ? pchar(kB64, (v >> (18 - 6 * j)) & 63) : '=';
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
