#include "text_out.h"

#include "rd_pgm.h"

namespace rd {

void Out::put(char c) {
  // A full chunk goes out before the next byte, not when it fills: flush()
  // then always has the message's last bytes (a frame with FIN, ws_link.cpp).
  uint8_t *p = at_;
  if (p == end_) p = flush();
  *p++ = (uint8_t)c;
  at_ = p;
}

uint8_t *Out::flush() {
  sink_(ctx_, buf_, (uint16_t)(at_ - buf_));
  return at_ = buf_;
}

void Out::putP(const char *p) {
  for (char c; (c = pchar(p, 0)) != 0; p++) put(c);
}

void Out::putU(uint32_t v) {
  // Recursion instead of a digit buffer: at most ten levels, and no stack frame
  // to set up; the quotient and the digit from one division.
  uint32_t q = v / 10;
  char digit = (char)('0' + v % 10);
  if (q) putU(q);
  put(digit);
}

static bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == '~';
}

static char hexDigit(uint8_t d) { return (char)(d < 10 ? '0' + d : 'A' - 10 + d); }

void Out::putUrl(const char *p) {
  for (char c; (c = pchar(p, 0)) != 0; p++) {
    if (unreserved(c)) {
      put(c);
    } else {
      put('%');
      put(hexDigit((uint8_t)c >> 4));
      put(hexDigit(c & 15));
    }
  }
}

}  // namespace rd
