#include "ws_accept.h"

#include "rd_pgm.h"

namespace rd {

static const char kGuid[] PROGMEM = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static const uint8_t kInit[20] PROGMEM = {0x67, 0x45, 0x23, 0x01, 0xEF, 0xCD, 0xAB, 0x89, 0x98, 0xBA,
                                           0xDC, 0xFE, 0x10, 0x32, 0x54, 0x76, 0xC3, 0xD2, 0xE1, 0xF0};
static const uint8_t kRoundK[16] PROGMEM = {0x5A, 0x82, 0x79, 0x99, 0x6E, 0xD9, 0xEB, 0xA1,
                                            0x8F, 0x1B, 0xBC, 0xDC, 0xCA, 0x62, 0xC1, 0xD6};

/** x = x rotated left by n bits (x: one big-endian word). */
static void rol(uint8_t *x, uint8_t n) {
  while (n--) {
    uint8_t carry = x[0] >> 7;
    for (int8_t i = 3; i >= 0; i--) {
      uint8_t next = x[i] >> 7;
      x[i] = (uint8_t)(x[i] << 1 | carry);
      carry = next;
    }
  }
}

/** x += y (mod 2^32). */
static void add(uint8_t *x, const uint8_t *y) {
  uint16_t sum = 0;
  for (int8_t i = 3; i >= 0; i--) {
    sum += (uint16_t)x[i] + y[i];
    x[i] = (uint8_t)sum;
    sum >>= 8;
  }
}

Sha1::Sha1() { memcpy_P(h_, kInit, sizeof h_); }

void Sha1::add(uint8_t b) {
  w_[bytes_ & 63] = b;
  if ((++bytes_ & 63) == 0) block();
}

void Sha1::block() {
  uint8_t v[20];  // a, b, c, d, e
  memcpy(v, h_, sizeof v);
  for (uint8_t i = 0; i < 80; i++) {
    uint8_t *w = w_ + 4 * (i & 15);
    if (i >= 16) {
      for (uint8_t j = 0; j < 4; j++)
        w[j] ^= w_[4 * ((i + 13) & 15) + j] ^ w_[4 * ((i + 8) & 15) + j] ^ w_[4 * ((i + 2) & 15) + j];
      rol(w, 1);
    }
    uint8_t round = i / 20;
    uint8_t t[4], r[4];
    for (uint8_t j = 0; j < 4; j++) {
      uint8_t b = v[4 + j], c = v[8 + j], d = v[12 + j];
      t[j] = round == 0 ? (uint8_t)((b & c) | (~b & d))
             : round == 2 ? (uint8_t)((b & c) | (b & d) | (c & d))
                          : (uint8_t)(b ^ c ^ d);
    }
    memcpy_P(r, &kRoundK[4 * round], 4);
    rd::add(t, r);       // + k
    rd::add(t, v + 16);  // + e
    rd::add(t, w);
    memcpy(r, v, 4);
    rol(r, 5);
    rd::add(t, r);       // + rol(a, 5)
    memmove(v + 4, v, 16);  // e = d, d = c, c = b, b = a
    rol(v + 8, 30);
    memcpy(v, t, 4);
  }
  for (uint8_t i = 0; i < 20; i += 4) rd::add(h_ + i, v + i);
}

void Sha1::finish(uint8_t out[20]) {
  uint16_t bits = bytes_ * 8;  // our inputs are a few dozen bytes
  add(0x80);
  while ((bytes_ & 63) != 56) add(0);
  for (uint8_t i = 0; i < 6; i++) add(0);  // the top of the 64-bit length
  add((uint8_t)(bits >> 8));
  add((uint8_t)bits);
  memcpy(out, h_, 20);
}

/** The base64 digit for a 6-bit value (RFC 4648 table 1), without the table. */
static char b64Digit(uint8_t v) {
  return (char)(v < 26 ? 'A' + v : v < 52 ? 'a' - 26 + v : v < 62 ? '0' - 52 + v : v == 62 ? '+' : '/');
}

void base64(const uint8_t *in, uint8_t len, char *out) {
  uint16_t bits = 0;  // input bits not yet written, in the low `have` bits
  uint8_t have = 0, n = 0;
  for (uint8_t i = 0; i < len; i++) {
    bits = (uint16_t)(bits << 8 | in[i]);
    for (have += 8; have >= 6; n++) out[n] = b64Digit((uint8_t)(bits >> (have -= 6) & 63));
  }
  if (have) out[n++] = b64Digit((uint8_t)(bits << (6 - have) & 63));
  while (n & 3) out[n++] = '=';
  out[n] = 0;
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
