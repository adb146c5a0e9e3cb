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
