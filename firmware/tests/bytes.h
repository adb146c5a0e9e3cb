// Helpers to write byte strings in tests: frames as hex, text as is.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

typedef std::vector<uint8_t> Bytes;

/** "81 02 68 69" -> bytes; spaces are ignored. */
inline Bytes hex(const char *s) {
  Bytes out;
  int nibble = -1;
  for (; *s; s++) {
    if (*s == ' ') continue;
    int v = *s <= '9' ? *s - '0' : (*s | 32) - 'a' + 10;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back((uint8_t)(nibble << 4 | v));
      nibble = -1;
    }
  }
  return out;
}

inline Bytes operator+(Bytes a, const Bytes &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline Bytes text(const std::string &s) { return Bytes(s.begin(), s.end()); }

/**
 * A frame as a peer writes it (RFC 6455 5.2): `first` is FIN, RSV and the
 * opcode as given, the shortest length encoding, masked with `key` if set.
 */
inline Bytes frame(uint8_t first, const std::string &payload, const uint8_t *key = nullptr) {
  Bytes out{first};
  uint8_t maskBit = key ? 0x80 : 0;
  size_t len = payload.size();
  if (len < 126) {
    out.push_back((uint8_t)(maskBit | len));
  } else {
    out.push_back((uint8_t)(maskBit | 126));
    out.push_back((uint8_t)(len >> 8));
    out.push_back((uint8_t)len);
  }
  if (key) out.insert(out.end(), key, key + 4);
  for (size_t i = 0; i < len; i++) out.push_back((uint8_t)((uint8_t)payload[i] ^ (key ? key[i & 3] : 0)));
  return out;
}
