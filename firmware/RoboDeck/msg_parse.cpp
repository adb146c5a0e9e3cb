#include "msg_parse.h"

#include <stddef.h>

#include "rd_config.h"
#include "rd_pgm.h"

namespace rd {

namespace {

// Every text the reader and `err` need, NUL-separated, in enum Text order.
const char kTexts[] PROGMEM =
    "t\0l\0r\0rate\0timeout\0seq\0id\0"                       // keys (Field)
    "drive\0stop\0ping\0cfg\0pong\0err\0"                     // types (pong, err need no action)
    "bad_json\0bad_type\0bad_field\0"                         // codes
    "must be an integer\0out of range\0missing\0"             // problems
    "not a JSON object\0t missing or unknown\0";              // messages
constexpr uint8_t kNames = kTextCodes;  // keys and types are looked up
constexpr uint8_t kTypes = kTextCodes - kTextTypes;
static_assert(kRateMax <= kTimeoutMax, "the reader checks rate and timeout below kTimeoutMax");

// The fields each type must carry (cfg: may), a bit per Field, by type.
const uint8_t kTypeFields[kTypes] PROGMEM = {
    1 << fL | 1 << fR | 1 << fSeq, 1 << fSeq, 1 << fId, 1 << fRate | 1 << fTimeout, 0, 0};

// Outside strings, every control character counts as white space.
bool isSpace(uint8_t c) { return c <= ' '; }

/**
 * The index of the name the bytes from `s` up to `e` spell (as written; `e`
 * is a string's closing quote, so e + 1 is still in its buffer), kNames if none.
 */
uint8_t find(const uint8_t *s, const uint8_t *e) {
  const char *p = kTexts;
  uint8_t i = 0;
  for (; i < kNames; i++) {
    const uint8_t *q = s;  // past the bytes that matched so far, e + 1 once one did not
    for (uint8_t c; (c = pnext(p)) != 0;) q = q < e && *q == c ? q + 1 : e + 1;
    if (q == e) break;
  }
  return i;
}

// The value readers below need no end: they start after a key, in a frame
// whose brackets the scan found closed, and stop at the first character
// that is not part of what they read, which the closing bracket never is.

/** Past white space and colons (the one after a key). */
const uint8_t *skip(const uint8_t *v) {
  while (isSpace(*v) || *v == ':') v++;
  return v;
}

/** Does only white space stand between `v` and the next separator (`,`, `}` or `]`)? */
bool ends(const uint8_t *v) {
  while (isSpace(*v)) v++;
  return *v == ',' || (*v | 0x20) == '}';
}

/**
 * The Problem with field `f`'s value, 0 if it is an integer in range. Its
 * value is set to the integer if it is one (and left as it was otherwise).
 */
uint8_t integer(Command &out, uint8_t f, uint16_t rateMax) {
  const uint8_t *v = out.at[f];
  if (!v) return (uint8_t)Problem::kMissing;
  v = skip(v);
  bool neg = *v == '-';
  if (neg) v++;
  if ((uint8_t)(*v - '0') > 9) return (uint8_t)Problem::kNotInteger;
  uint32_t u = 0;
  for (uint8_t d; (d = (uint8_t)(*v - '0')) <= 9; v++) {
    // Past 2^31 (either sign) it is out of every field's range: it stays
    // there. Below 2^28, u * 10 + d stays below 2^32 (and has bit 31 set
    // if it passed 2^31); from 2^28 on it is past 2^31 at the next digit,
    // so it is set there at once (a test of the top byte only).
    // u * 10 as (4u + u) * 2, kept from becoming a multiply call (rd_pgm.h).
    uint32_t u4 = u << 2;
    RD_OPAQUE(u4);
    u = (uint8_t)(u >> 24) >= 0x10 ? 0x80000000u : ((u4 + u) << 1) + d;
  }
  if (!ends(v)) return (uint8_t)Problem::kNotInteger;  // a fraction, an exponent or more text
  if (u >> 31) return (uint8_t)Problem::kOutOfRange;
  int32_t i = (int32_t)(neg ? 0u - u : u);
  if (f >= fSeq) {
    if (i < 0) return (uint8_t)Problem::kOutOfRange;
  } else {
    if (u > kTimeoutMax) return (uint8_t)Problem::kOutOfRange;  // the widest of the other ranges: the rest in 16 bits
    int16_t lo = f <= fR ? -100 : f == fRate ? 1 : (int16_t)kTimeoutMin;
    uint16_t span = f <= fR ? 200 : f == fRate ? rateMax - 1 : kTimeoutMax - kTimeoutMin;
    if ((uint16_t)((int16_t)i - lo) > span) return (uint8_t)Problem::kOutOfRange;
  }
  out.v[f] = i;
  return 0;
}

/** The type the string after the key that ended at `v` names: a Msg, or kTypes and more if none. */
uint8_t typeAt(const uint8_t *v) {
  if (!v) return kTypes;
  v = skip(v);
  if (*v != '"') return kTypes;
  const uint8_t *s = ++v;
  while (*v != '"') v++;  // what a backslash escapes is no name: it cannot match
  if (!ends(v + 1)) return kTypes;
  return (uint8_t)(find(s, v) - kTextTypes);
}

}  // namespace

const char *text(uint8_t index) {
  const char *p = kTexts;
  while (index--)
    while (pnext(p)) {
    }
  return p;
}

RD_NOINLINE ParseResult parseCommand(const uint8_t *p, uint16_t len, uint16_t rateMax, Command &out) {
  ParseResult r = {ParseError::kBadJson, kTextMessages, 0, 0};
  const uint8_t **at = out.at;  // after each of our keys, the last one of each name
  // Every key absent and every value 0 (so a stop's l and r are 0), in one go.
  static_assert(offsetof(Command, v) == offsetof(Command, at) + sizeof out.at, "Command");
  memset(out.at, 0, sizeof out.at + sizeof out.v);
  const uint8_t *end = p + len;
  // keyDepth: the depth at which the next string is a key, 1 or 0 for none;
  // kClosed before the object opened.
  constexpr uint8_t kClosed = 0xFF;
  uint8_t depth = 0, keyDepth = kClosed;
  for (; p < end; p++) {
    uint8_t c = *p;
    if (isSpace(c)) continue;
    if (!depth) {  // the frame is one object: `{` first, nothing after it
      if (c != '{' || keyDepth != kClosed) return r;
      keyDepth = 1;
    }
    if (c == '"') {
      const uint8_t *text = p + 1;
      do {  // to the closing quote; what a backslash escapes is not checked
        uint8_t step = 1 + (*p == '\\');  // past an escaped character too
        if (end - p <= step) return r;
        p += step;
      } while (*p != '"');
      if (depth == keyDepth) {  // a key: its value follows
        uint8_t f = find(text, p);
        if (f < kFields) at[f] = p + 1;
        keyDepth = 0;
      }
    } else if ((c | 0x20) == '{') {  // { or [
      if (++depth > kJsonDepth) return r;
    } else if ((c | 0x20) == '}') {  // } or ]
      depth--;
    } else if (c == ',' && depth == 1) {
      keyDepth = 1;
    }
  }
  if (depth || keyDepth == kClosed) return r;
  uint8_t t = typeAt(at[fT]);
  r.error = ParseError::kBadType;
  r.msg = kTextMessages + 1;
  if (t >= kTypes) return r;
  Msg m = (Msg)t;
  r.msg = (uint8_t)(kTextTypes + t);
  r.error = ParseError::kOk;
  uint8_t need = pgm_read_byte(&kTypeFields[t]);  // a bit per field, fT's never set
  for (uint8_t f = fT; need; f++, need >>= 1) {
    if (!(need & 1)) continue;
    uint8_t problem = integer(out, f, rateMax);
    if (problem && !(m == Msg::kCfg && problem == (uint8_t)Problem::kMissing)) {  // cfg: missing keeps
      r.error = ParseError::kBadField;
      r.field = f;
      r.problem = (uint8_t)(kTextProblems - 1 + problem);
      break;
    }
  }
  return r;
}

}  // namespace rd
