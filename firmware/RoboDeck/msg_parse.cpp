#include "msg_parse.h"

#include <stddef.h>

#include "rd_config.h"
#include "rd_pgm.h"

namespace rd {

namespace {

// Every text the reader and `err` need, NUL-separated, in enum Text order.
const char kTexts[] PROGMEM =
    "t\0l\0r\0rate\0timeout\0seq\0id\0"                       // keys (Field)
    "drive\0stop\0ping\0cfg\0pong\0err\0null\0"               // types (pong, err need no action)
    "bad_json\0bad_type\0bad_field\0"                         // codes
    "must be an integer\0out of range\0missing\0"             // problems
    "not a JSON object\0t missing or unknown\0";              // messages
constexpr uint8_t kNames = kTextCodes;  // keys, types and null are looked up
constexpr uint8_t kTypes = kTextNull - kTextTypes;
static_assert(kRateMax <= kTimeoutMax, "the reader checks rate and timeout below kTimeoutMax");
constexpr uint8_t kKey = 0xFF;  // the reader's field while a key is expected

// The fields each type must carry (cfg: may), a bit per Field, by type.
const uint8_t kTypeFields[kTypes] PROGMEM = {
    1 << fL | 1 << fR | 1 << fSeq, 1 << fSeq, 1 << fId, 1 << fRate | 1 << fTimeout, 0, 0};

// What a top-level value of ours was: sOk or by Problem (the low two bits
// of null, a string and an absent value are their Problem).
// A string's status has the index of the name it spells in its top four bits.
enum Status : uint8_t { sOk, sNotInteger, sOutOfRange, sNull = 5, sString = 9, sMissing = 0xFF };
static_assert(kNames < 15 && sNull < 16, "a name's index fits a string's status, under sMissing's");

// Outside strings, every control character counts as white space.
bool isSpace(uint8_t c) { return c <= ' '; }

/** The index of the name `s` (n bytes, as written) spells, kNames if none. */
uint8_t find(const uint8_t *s, uint16_t n) {
  const char *p = kTexts;
  uint8_t i = 0;
  for (; i < kNames; i++) {
    uint16_t k = 0;  // bytes that matched so far, n + 1 once one did not
    for (uint8_t c; (c = pgm_read_byte(p++)) != 0;) k = k < n && s[k] == c ? k + 1 : n + 1;
    if (k == n) break;
  }
  return i;
}

/**
 * The Status of the value of field `f` written from `v` (after its key) to
 * `e` (after its last character), and in `x` its integer if it is one.
 */
uint8_t status(const uint8_t *v, const uint8_t *e, uint8_t f, uint16_t rateMax, int32_t &x) {
  while (v < e && (isSpace(*v) || *v == ':')) v++;  // the colon after the key
  uint16_t n = (uint16_t)(e - v);
  if (*v == '"')  // a whole string (a value cannot end inside one): the name it spells
    return (uint8_t)(sString | find(v + 1, (uint16_t)(n - 2)) << 4);
  if (find(v, n) == kTextNull) return sNull;  // x stays -1 (see value())
  bool neg = *v == '-';
  if (neg) v++;
  if (v == e) return sNotInteger;
  uint32_t u = 0;
  for (; v < e; v++) {
    uint8_t d = (uint8_t)(*v - '0');
    if (d > 9) return sNotInteger;  // a fraction, an exponent or no number
    // Past 2^31 (either sign) it is out of every field's range: it stays there.
    u = u > 214748364u ? 0x80000000u : u * 10 + d;
  }
  if (u >> 31) return sOutOfRange;
  int32_t i = (int32_t)(neg ? 0u - u : u);
  x = i;
  if (f >= fSeq) return i < 0 ? sOutOfRange : sOk;
  if (u > kTimeoutMax) return sOutOfRange;  // the widest of the other ranges: the rest in 16 bits
  int16_t lo = f <= fR ? -100 : f == fRate ? 1 : (int16_t)kTimeoutMin;
  uint16_t span = f <= fR ? 200 : f == fRate ? rateMax - 1 : kTimeoutMax - kTimeoutMin;
  return (uint16_t)((int16_t)i - lo) > span ? sOutOfRange : sOk;
}

/**
 * Reads field `f`'s value into `out` (out of line: the scanner keeps fewer
 * registers). A value that is not sOk leaves -1, so a later duplicate of a
 * key replaces an earlier one whole: `"timeout":0,"timeout":null` is "keep",
 * never the 0 that was out of range (a fuzzer find).
 */
RD_NOINLINE void value(Command &out, uint8_t f, const uint8_t *v, const uint8_t *e, uint16_t rateMax) {
  int32_t x = -1;
  uint8_t s = status(v, e, f, rateMax, x);
  out.status[f] = s;
  out.v[f] = s == sOk ? x : -1;
}

}  // namespace

const char *text(uint8_t index) {
  const char *p = kTexts;
  while (index--)
    while (pgm_read_byte(p++)) {
    }
  return p;
}

RD_NOINLINE ParseResult parseCommand(const uint8_t *p, uint16_t len, uint16_t rateMax, Command &out) {
  ParseResult r = {ParseError::kBadJson, Msg::kIgnored, 0, Problem::kMissing};
  // Every value -1 (cfg's "keep"), every status sMissing, in one go.
  static_assert(offsetof(Command, status) == offsetof(Command, v) + sizeof out.v, "Command");
  memset(out.v, 0xFF, sizeof out.v + sizeof out.status);
  uint8_t *kind = out.status;
  const uint8_t *end = p + len;
  const uint8_t *from = nullptr;  // after the last key; null before `{`
  const uint8_t *last = p;        // after the last character that is not white space
  uint8_t depth = 0, field = kKey;
  for (; p < end; p++) {
    uint8_t c = *p;
    if (isSpace(c)) continue;
    if (!depth) {  // the frame is one object: `{` first, nothing after it
      if (c != '{' || from) return r;
      from = p;
    }
    if (c == '"') {
      const uint8_t *text = p + 1;
      do {  // to the closing quote; what a backslash escapes is not checked
        if (*p == '\\' && ++p >= end) return r;
        if (++p >= end) return r;
      } while (*p != '"');
      if (field == kKey) {  // a key (in valid JSON at depth 1): its value follows
        field = find(text, (uint16_t)(p - text));
        from = p + 1;
      }
    } else if ((c | 0x20) == '{') {  // { or [
      if (++depth > kJsonDepth) return r;
    } else if ((c | 0x20) == '}' || (c == ',' && depth == 1)) {  // } or ], or a comma
      if (depth == 1) {
        if (field < kFields) value(out, field, from, last, rateMax);
        field = kKey;
      }
      if (c != ',') depth--;
    }
    last = p + 1;
  }
  if (depth || !from) return r;
  // Only a string's status has a name in its top four bits (sMissing's are
  // 15, above every name), so no other value of `t` gives a type.
  uint8_t t = (uint8_t)((kind[fT] >> 4) - kTextTypes);
  r.error = ParseError::kBadType;
  if (t >= kTypes) return r;
  Msg m = t > (uint8_t)Msg::kCfg ? Msg::kIgnored : (Msg)t;
  out.type = r.type = m;
  r.error = ParseError::kOk;
  uint8_t need = pgm_read_byte(&kTypeFields[t]);  // a bit per field, fT's never set
  for (uint8_t f = fT; need; f++, need >>= 1) {
    uint8_t s = kind[f];
    if (!(need & 1) || s == sOk) continue;
    if (m == Msg::kCfg && (s == sMissing || s == sNull)) continue;  // keep: v is -1
    r.error = ParseError::kBadField;
    r.field = f;
    r.problem = (Problem)(s & 3);
    break;
  }
  return r;
}

}  // namespace rd
