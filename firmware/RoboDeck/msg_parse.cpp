#include "msg_parse.h"

#include "rd_config.h"
#include "rd_pgm.h"

namespace rd {

namespace {

// Every text the reader and `err` need, NUL-separated, in enum Text order.
const char kTexts[] PROGMEM =
    "t\0l\0r\0rate\0timeout\0seq\0id\0"                       // keys (Field)
    "drive\0stop\0ping\0cfg\0pong\0err\0"                     // types; pong, err need no action
    "bad_json\0bad_type\0bad_field\0"                         // codes
    "missing\0must be an integer\0out of range\0"             // problems
    "frame is not a JSON object\0t missing or unknown\0";     // messages
constexpr uint8_t kNames = kTextCodes;   // keys and types are looked up
constexpr uint8_t kTypes = kTextCodes - kTextTypes;
constexpr uint8_t kShort = 8;            // every name is shorter
constexpr uint8_t kBad = 0xFF;           // a string that is not valid JSON

// The fields each type must carry (cfg: may), a bit per Field, by type.
const uint8_t kTypeFields[kTypes] PROGMEM = {
    1 << fL | 1 << fR | 1 << fSeq, 1 << fSeq, 1 << fId, 1 << fRate | 1 << fTimeout, 0, 0};

// What a top-level value was, as far as the field checks care. A number
// beyond int32 is kept as INT32_MIN: out of range for every field.
enum Kind : uint8_t { kAbsent, kNull, kInt, kOther, kString };
constexpr int32_t kHuge = (int32_t)0x80000000u;

// What the grammar allows next (RFC 8259): the reader's whole state, with
// the nesting as a bit per level (1 = object).
enum Expect : uint8_t { eValue, eValueOrEnd, eKey, eKeyOrEnd, eColon, eCommaOrEnd, eDone };

bool isDigit(uint8_t c) { return (uint8_t)(c - '0') <= 9; }

struct Reader {
  const uint8_t *at, *end;

  uint8_t peek() const { return at < end ? *at : 0; }  // 0 is never valid JSON either
  uint8_t next() {
    uint8_t c = peek();
    at++;
    return c;
  }

  /** After the opening quote: the index of the name it spells, kNames if none, kBad. */
  uint8_t string() {
    char word[kShort + 1];
    uint8_t n = 0;
    for (;;) {
      uint8_t c = next();
      if (c < 0x20) return kBad;  // end of input, or a raw control character
      if (c == '"') break;
      if (c == '\\') {
        if (next() < 0x20) return kBad;  // what is escaped is not checked further
        n = kShort;  // an escaped name is no name of ours
      } else if (n < kShort) {
        word[n++] = (char)c;
      }
    }
    if (n == kShort) return kNames;
    word[n] = 0;
    uint8_t i = 0;
    while (i < kNames && strcmp_P(word, text(i))) i++;
    return i;
  }

  /** After the first character `c` ('-' or a digit): a number, kInt or kOther. */
  bool number(uint8_t c, uint8_t &kind, int32_t &value) {
    bool neg = c == '-';
    if (neg) c = next();
    if (!isDigit(c)) return false;
    uint32_t v = 0;
    for (uint8_t first = c;; c = next()) {
      // Past 2^31 it sticks at 2^32 - 1, so no digit wraps it back into range.
      v = v > 214748364u ? 0xFFFFFFFFu : v * 10 + (uint8_t)(c - '0');
      if (!isDigit(peek())) break;
      if (first == '0') return false;  // no leading zeros
    }
    // A fraction or an exponent: not an integer, and not checked further.
    kind = kInt;
    for (uint8_t d; (d = lower((char)peek())) == '.' || d == 'e' || d == '+' || d == '-' || isDigit(d); at++)
      kind = kOther;
    if (v >> 31) v = (uint32_t)kHuge;
    value = (int32_t)(neg ? 0u - v : v);  // kHuge stays kHuge
    return true;
  }

  /** true, false or null, after its first letter `c`. */
  bool literal(uint8_t c) {
    if (c != 't' && c != 'f' && c != 'n') return false;
    const char *w = c == 't' ? PSTR("rue") : c == 'f' ? PSTR("alse") : PSTR("ull");
    for (uint8_t k; (k = pgm_read_byte(w)) != 0; w++)
      if (next() != k) return false;
    return true;
  }
};

}  // namespace

const char *text(uint8_t index) {
  const char *p = kTexts;
  while (index--) p += strlen_P(p) + 1;
  return p;
}

RD_NOINLINE ParseResult parseCommand(const uint8_t *data, uint16_t len, uint16_t rateMax, Command &out) {
  Reader in = {data, data + len};
  uint8_t kind[kFields] = {};
  uint8_t objects = 0, depth = 0, field = kFields;
  uint8_t expect = eValue;
  ParseResult r = {ParseError::kBadJson, Msg::kIgnored, 0, Problem::kMissing};
  for (;;) {
    uint8_t c = in.next();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (in.at > in.end) break;
    if (expect == eDone) return r;  // something after the object
    bool inObject = objects & 1;
    if (c == ',' && expect == eCommaOrEnd) {
      expect = inObject ? eKey : eValue;
    } else if ((c | 0x20) == '}' && (expect & 1) && (c == '}') == inObject) {
      // '}' or ']' where a value may end, closing what is open (the *OrEnd are odd)
      objects >>= 1;
      expect = --depth ? eCommaOrEnd : eDone;
    } else if (expect == eColon) {
      if (c != ':') return r;
      expect = eValue;
    } else if (expect == eKey || expect == eKeyOrEnd) {
      if (c != '"') return r;
      uint8_t name = in.string();
      if (name == kBad) return r;
      if (depth == 1) field = name;  // not one of ours if >= kFields
      expect = eColon;
    } else {
      if (expect > eValueOrEnd || (!depth && c != '{')) return r;  // the frame is one object
      uint8_t k = kOther;
      int32_t v = 0;
      bool keep = depth == 1 && field < kFields;
      expect = eCommaOrEnd;
      if (c == '{' || c == '[') {
        if (depth == kJsonDepth) return r;
        depth++;
        objects = (uint8_t)(objects << 1 | (c == '{'));
        expect = c == '{' ? eKeyOrEnd : eValueOrEnd;
      } else if (c == '"') {
        k = kString;
        v = in.string();
        if (v == kBad) return r;
      } else if (c == '-' || isDigit(c)) {
        if (!in.number(c, k, v)) return r;
      } else {
        if (!in.literal(c)) return r;
        if (c == 'n') k = kNull;
      }
      if (keep) kind[field] = k, out.v[field] = v;
    }
  }
  if (expect != eDone) return r;
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
