#include "msg_parse.h"

#include <stddef.h>

#include "rd_config.h"
#include "rd_pgm.h"

namespace rd {

namespace {

// Keys the robot reads; the index is ParseResult::field. The ranges of a
// field are the same in every message that has it (docs/protocol.md).
enum Field : uint8_t { fT, fL, fR, fSeq, fId, fRate, fTimeout, kFields };
const char kFieldNames[] PROGMEM = "t\0l\0r\0seq\0id\0rate\0timeout\0";
// Message types, in Msg order; "pong" and "err" are valid but need no action.
const char kTypeNames[] PROGMEM = "drive\0stop\0ping\0cfg\0pong\0err\0";
constexpr uint8_t kTypes = 6;
// The fields each type must carry, a bit per Field, in kTypeNames order.
const uint8_t kTypeFields[kTypes] PROGMEM = {
    1 << fL | 1 << fR | 1 << fSeq, 1 << fSeq, 1 << fId, 1 << fRate | 1 << fTimeout, 0, 0};
const uint8_t kOffsets[kFields] PROGMEM = {
    0, offsetof(Command, l), offsetof(Command, r), offsetof(Command, seq),
    offsetof(Command, id), offsetof(Command, rate), offsetof(Command, timeout)};

// What a top-level value was, as far as the field checks care. A number
// too big for int32 is kept as INT32_MIN: out of range for every field.
enum Kind : uint8_t { kAbsent, kNull, kInt, kOther, kString };
constexpr int32_t kHuge = (int32_t)0x80000000u;

struct Slot {
  Kind kind;
  int32_t value;  // kInt: the number; kString of `t`: the type's index
};

constexpr uint8_t kShort = 8;  // every key and type name we compare is shorter

/**
 * One frame, read once from the front: a validating JSON reader (RFC 8259)
 * that keeps only the top-level values the robot uses. It recurses once per
 * nesting level, at most kJsonDepth deep, so its stack is bounded.
 */
const uint8_t *at, *end;
char word[kShort + 1];  // the last string read, if short and unescaped
uint8_t wordLen;

/** The next byte, 0 at the end (a raw 0 is never valid JSON either). */
uint8_t peek() { return at < end ? *at : 0; }

uint8_t next() {
  uint8_t c = peek();
  at++;
  return c;
}

void space() {
  for (uint8_t c; (c = peek()) == ' ' || c == '\t' || c == '\n' || c == '\r';) at++;
}

/** Skips space, then `c` if it is next. */
bool eat(uint8_t c) {
  space();
  if (peek() != c) return false;
  at++;
  return true;
}

/** The n-th NUL-separated P-string of `list`. */
const char *nth(const char *list, uint8_t n) {
  while (n--) list += strlen_P(list) + 1;
  return list;
}

/** Index of `word` in `list` of `count` names, or `count`. */
uint8_t lookup(const char *list, uint8_t count) {
  if (wordLen <= kShort)
    for (uint8_t i = 0; i < count; i++)
      if (strcmp_P(word, nth(list, i)) == 0) return i;
  return count;
}

bool isDigit(uint8_t c) { return (uint8_t)(c - '0') <= 9; }

/** After the opening quote. A long or escaped string gets wordLen kShort + 1. */
bool string() {
  wordLen = 0;
  for (;;) {
    uint8_t c = next();
    if (c < 0x20) return false;  // end of input, or a raw control character
    if (c == '"') break;
    if (c == '\\') {
      c = next();
      if (c == 'u') {
        for (uint8_t i = 0; i < 4; i++) {
          uint8_t h = (uint8_t)lower((char)next());
          if (!isDigit(h) && (uint8_t)(h - 'a') > 5) return false;
        }
      } else if (!c || !strchr_P(PSTR("\"\\/bfnrt"), c)) {
        return false;
      }
      wordLen = kShort + 1;
    } else if (wordLen < kShort) {
      word[wordLen++] = (char)c;
    } else {
      wordLen = kShort + 1;
    }
  }
  word[wordLen <= kShort ? wordLen : 0] = 0;
  return true;
}

/** One or more digits. */
bool digits() {
  if (!isDigit(peek())) return false;
  while (isDigit(peek())) at++;
  return true;
}

bool number(Slot &s) {
  bool neg = peek() == '-';
  if (neg) at++;
  uint8_t first = peek(), n = 0;
  uint32_t v = 0;
  bool big = false;
  for (uint8_t c; isDigit(c = peek()); at++, n++) {
    if (v > 214748364u) big = true;  // the next digit passes 2^31
    v = v * 10 + (uint8_t)(c - '0');
  }
  if (!n || (first == '0' && n > 1)) return false;  // no leading zeros
  if (peek() == '.') {
    at++;
    if (!digits()) return false;
    return true;  // kOther: a fraction is not an integer
  }
  if (lower((char)peek()) == 'e') {
    at++;
    if (peek() == '+' || peek() == '-') at++;
    return digits();
  }
  s.kind = kInt;
  s.value = big || v >> 31 ? kHuge : neg ? -(int32_t)v : (int32_t)v;
  return true;
}

/** true, false or null, whose first letter is `c`. */
bool literal(uint8_t c, Slot &s) {
  const char *w = c == 't' ? PSTR("true") : c == 'f' ? PSTR("false") : PSTR("null");
  if (c == 'n') s.kind = kNull;
  for (uint8_t k; (k = pgm_read_byte(w)) != 0; w++)
    if (next() != k) return false;
  return true;
}

bool value(uint8_t depth, Slot &s, bool isType, Slot *slots) {
  space();
  uint8_t c = next();
  s.kind = kOther;
  if (c == '{' || c == '[') {
    if (depth == kJsonDepth) return false;
    uint8_t close = (uint8_t)(c + 2);  // '}' or ']'
    if (eat(close)) return true;
    do {
      Slot skipped;
      Slot *target = &skipped;
      uint8_t field = kFields;
      if (c == '{') {
        if (!eat('"') || !string() || !eat(':')) return false;
        if (!depth) field = lookup(kFieldNames, kFields);
        if (field < kFields) target = &slots[field];
      }
      if (!value((uint8_t)(depth + 1), *target, field == fT, slots)) return false;
    } while (eat(','));
    return eat(close);
  }
  if (c == '"') {
    s.kind = kString;
    if (!string()) return false;
    if (isType) s.value = lookup(kTypeNames, kTypes);
    return true;
  }
  at--;
  if (c == '-' || isDigit(c)) return number(s);
  return literal(c, s);
}

}  // namespace

ParseResult parseCommand(const uint8_t *text, uint16_t len, uint16_t rateMax, Command &out) {
  Slot slots[kFields];
  for (Slot &s : slots) s.kind = kAbsent;
  at = text, end = text + len;
  ParseResult r = {ParseError::kBadJson, Msg::kIgnored, 0, Problem::kMissing};
  Slot top;
  space();
  if (peek() != '{' || !value(0, top, false, slots)) return r;
  space();
  if (at != end) return r;
  uint8_t t = slots[fT].kind == kString ? (uint8_t)slots[fT].value : kTypes;
  r.error = ParseError::kBadType;
  if (t == kTypes) return r;
  Msg m = t > (uint8_t)Msg::kCfg ? Msg::kIgnored : (Msg)t;
  out.type = r.type = m;
  r.error = ParseError::kOk;
  uint8_t need = pgm_read_byte(&kTypeFields[t]);
  for (uint8_t f = fL; f < kFields; f++) {
    if (!(need >> f & 1)) continue;
    const Slot &s = slots[f];
    int32_t v = s.value;
    int32_t lo = f <= fR ? -100 : f == fRate ? 1 : f == fTimeout ? kTimeoutMin : 0;
    int32_t hi = f <= fR ? 100 : f == fRate ? rateMax : f == fTimeout ? kTimeoutMax : kMaxSeq;
    if (m == Msg::kCfg && s.kind <= kNull) {
      v = -1;  // cfg: absent or null keeps the setting
    } else if (s.kind != kInt || v < lo || v > hi) {
      r.error = ParseError::kBadField;
      r.field = f;
      r.problem = s.kind == kAbsent ? Problem::kMissing
                  : s.kind == kInt  ? Problem::kOutOfRange
                                    : Problem::kNotInteger;
      break;
    }
    *(int32_t *)((uint8_t *)&out + pgm_read_byte(&kOffsets[f])) = v;
  }
  return r;
}

const char *errorCode(ParseError e) {
  switch (e) {
    case ParseError::kBadJson: return PSTR("bad_json");
    case ParseError::kBadType: return PSTR("bad_type");
    default: return PSTR("bad_field");
  }
}

const char *msgName(Msg m) { return nth(kTypeNames, (uint8_t)m); }
const char *fieldName(uint8_t field) { return nth(kFieldNames, field); }

const char *problemText(Problem p) {
  switch (p) {
    case Problem::kMissing: return PSTR("missing");
    case Problem::kNotInteger: return PSTR("must be an integer");
    default: return PSTR("out of range");
  }
}

}  // namespace rd
