#include "msg_parse.h"

#include "rd_config.h"
#include "rd_pgm.h"

#if !defined(__AVR__) && !defined(ESP8266) && !defined(ESP32) && !defined(memcmp_P)
#define memcmp_P memcmp
#endif

namespace rd {

namespace {

// Every text the reader and `err` need, NUL-separated, in enum Text order.
const char kTexts[] PROGMEM =
    "t\0l\0r\0rate\0timeout\0seq\0id\0"                       // keys (Field)
    "drive\0stop\0ping\0cfg\0pong\0err\0null\0"               // types (pong, err need no action)
    "bad_json\0bad_type\0bad_field\0"                         // codes
    "missing\0must be an integer\0out of range\0"             // problems
    "frame is not a JSON object\0t missing or unknown\0";     // messages
constexpr uint8_t kNames = kTextCodes;  // keys, types and null are looked up
constexpr uint8_t kTypes = kTextNull - kTextTypes;

// The fields each type must carry (cfg: may), a bit per Field, by type.
const uint8_t kTypeFields[kTypes] PROGMEM = {
    1 << fL | 1 << fR | 1 << fSeq, 1 << fSeq, 1 << fId, 1 << fRate | 1 << fTimeout, 0, 0};

// What a top-level value was, as far as the field checks care. A number
// beyond int32 is kept as INT32_MIN: out of range for every field.
enum Kind : uint8_t { kAbsent, kNull, kInt, kOther, kString };
constexpr int32_t kHuge = (int32_t)0x80000000u;

// Outside strings, every control character counts as white space.
bool isSpace(uint8_t c) { return c <= ' '; }

/** The index of the name `s` (n bytes, as written) spells, kNames if none. */
uint8_t find(const uint8_t *s, uint16_t n) {
  const char *p = kTexts;
  uint8_t i = 0;
  for (; i < kNames; i++) {
    uint16_t k = (uint16_t)strlen_P(p);
    if (k == n && !memcmp_P(s, p, n)) break;
    p += k + 1;
  }
  return i;
}

/** The value written from `v` to `e` (a comma or brace): its kind, and its integer or name. */
uint8_t value(const uint8_t *v, const uint8_t *e, int32_t &x) {
  while (v < e && isSpace(*v)) v++;
  while (e > v && isSpace(e[-1])) e--;
  uint16_t n = (uint16_t)(e - v);
  if (*v == '"') {  // a whole string: a value cannot end inside one
    x = find(v + 1, (uint16_t)(n - 2));
    return kString;
  }
  if (find(v, n) == kTextNull) return kNull;
  bool neg = *v == '-';
  if (neg) v++;
  uint8_t kind = v < e ? kInt : kOther;
  uint32_t u = 0;
  for (; v < e; v++) {
    uint8_t d = (uint8_t)(*v - '0');
    if (d > 9) return kOther;  // a fraction, an exponent or no number: no integer
    // Past 2^31 it sticks at 2^32 - 1, so no digit wraps it back into range.
    u = u > 214748364u ? 0xFFFFFFFFu : u * 10 + d;
  }
  if (u >> 31) u = (uint32_t)kHuge;
  x = (int32_t)(neg ? 0u - u : u);  // kHuge stays kHuge
  return kind;
}

}  // namespace

const char *text(uint8_t index) {
  const char *p = kTexts;
  while (index--) p += strlen_P(p) + 1;
  return p;
}

RD_NOINLINE ParseResult parseCommand(const uint8_t *p, uint16_t len, uint16_t rateMax, Command &out) {
  ParseResult r = {ParseError::kBadJson, Msg::kIgnored, 0, Problem::kMissing};
  uint8_t kind[kFields] = {};
  const uint8_t *end = p + len;
  while (p < end && isSpace(*p)) p++;
  if (p == end || *p != '{') return r;  // the frame is one object
  const uint8_t *start = p, *from = p;
  uint8_t depth = 1, key = kNames, field = kNames;
  bool inString = false;
  while (++p < end) {
    uint8_t c = *p;
    if (inString) {
      if (c == '\\' && p + 1 < end) {
        p++;  // what is escaped is not checked
      } else if (c == '"') {
        inString = false;
        if (depth == 1) key = find(start, (uint16_t)(p - start));
      }
    } else if (isSpace(c)) {
    } else if (!depth) {
      return r;  // something after the object
    } else if (c == '"') {
      inString = true;
      start = p + 1;
    } else if ((c | 0x20) == '{') {  // { or [
      if (++depth > kJsonDepth) return r;
    } else if (depth == 1 && c == ':') {
      field = key;
      from = p + 1;
    } else if ((c | 0x20) == '}' || (c == ',' && depth == 1)) {  // } or ], or a comma
      if (depth == 1) {
        if (field < kFields) kind[field] = value(from, p, out.v[field]);
        field = kNames;
      }
      if (c != ',') depth--;
    }
  }
  if (inString || depth) return r;
  uint8_t t = kind[fT] == kString ? (uint8_t)(out.v[fT] - kTextTypes) : kTypes;
  r.error = ParseError::kBadType;
  if (t >= kTypes) return r;
  Msg m = t > (uint8_t)Msg::kCfg ? Msg::kIgnored : (Msg)t;
  out.type = r.type = m;
  r.error = ParseError::kOk;
  uint8_t need = pgm_read_byte(&kTypeFields[t]);
  for (uint8_t f = fL; f < kFields; f++) {
    if (!(need >> f & 1)) continue;
    int32_t v = out.v[f];
    int16_t lo = f <= fR ? -100 : f == fRate ? 1 : f == fTimeout ? (int16_t)kTimeoutMin : 0;
    int16_t hi = f <= fR ? 100 : f == fRate ? (int16_t)rateMax : (int16_t)kTimeoutMax;
    if (m == Msg::kCfg && kind[f] <= kNull) {
      out.v[f] = -1;  // cfg: absent or null keeps the setting
    } else if (kind[f] != kInt || v < lo || (f < fSeq && v > hi)) {
      r.error = ParseError::kBadField;
      r.field = f;
      r.problem = kind[f] == kAbsent ? Problem::kMissing
                  : kind[f] == kInt  ? Problem::kOutOfRange
                                     : Problem::kNotInteger;
      break;
    }
  }
  return r;
}

}  // namespace rd
