#include "msg_parse.h"

#include "rd_config.h"
#include "rd_pgm.h"

namespace rd {

namespace {

// Keys the robot reads; the index is ParseResult::field.
enum Field : uint8_t { fT, fL, fR, fSeq, fId, fRate, fTimeout, kFields };
const char kFieldNames[] PROGMEM = "t\0l\0r\0seq\0id\0rate\0timeout\0";
// Message types, in Msg order; "pong" and "err" are valid but need no action.
const char kTypeNames[] PROGMEM = "drive\0stop\0ping\0cfg\0pong\0err\0";
constexpr uint8_t kTypes = 6;

enum class Kind : uint8_t { kAbsent, kNull, kInt, kBig, kOther, kString };

struct Slot {
  Kind kind;
  int32_t value;
};

constexpr uint8_t kShort = 8;  // every key and type name we compare is shorter

/** The n-th NUL-separated P-string of `list`. */
const char *nth(const char *list, uint8_t n) {
  while (n--)
    while (pchar(list++, 0)) {}
  return list;
}

/** Index of the short RAM string `s` in `list` of `count` names, or `count`. */
uint8_t lookup(const char *list, uint8_t count, const char *s, uint8_t len) {
  if (len > kShort) return count;  // long or escaped: not one of ours, and not all copied
  for (uint8_t i = 0; i < count; i++) {
    const char *name = nth(list, i);
    uint8_t j = 0;
    while (j < len && pchar(name, j) == s[j]) j++;
    if (j == len && !pchar(name, j)) return i;
  }
  return count;
}

/**
 * A validating JSON reader (RFC 8259) with no recursion: a state byte and a
 * bit per nesting level say what may come next. Only the values of the
 * top-level keys in kFieldNames are kept; everything else is checked and
 * skipped.
 */
class Reader {
 public:
  Reader(const uint8_t *p, uint16_t len) : p_(p), end_(p + len) {}
  bool document(Slot *slots, char *type, uint8_t &typeLen);

 private:
  int peek() const { return p_ < end_ ? *p_ : -1; }
  bool eat(char c) {
    if (peek() != c) return false;
    p_++;
    return true;
  }
  void space() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') p_++;
  }
  bool scalar(int c, Slot &slot, char *type, uint8_t *typeLen);
  bool string(char *copy, uint8_t *copyLen);
  bool escape();
  bool number(Slot &slot);
  bool digits();
  bool literal(const char *word);

  const uint8_t *p_, *end_;
};

bool Reader::document(Slot *slots, char *type, uint8_t &typeLen) {
  enum : uint8_t { kValue, kKey, kColon, kAfter } state = kValue;
  uint8_t depth = 0, arrays = 0;  // bit d-1 set: the container at depth d is an array
  uint8_t field = kFields;        // the top-level key whose value comes next
  bool opened = false;            // just after '{' or '[': it may close at once
  Slot skipped;
  for (;;) {
    space();
    int c = peek();
    bool array = depth && (arrays >> (depth - 1) & 1);
    if (opened && c == (array ? ']' : '}')) state = kAfter;
    if (state == kAfter) {
      if (depth == 0) return c < 0;  // one object, then nothing but space
      p_++;
      if (c == ',' && !opened) {
        state = array ? kValue : kKey;
      } else if (c != (array ? ']' : '}')) {
        return false;
      } else {
        depth--;
      }
    } else if (state == kColon) {
      if (!eat(':')) return false;
      state = kValue;
    } else if (state == kKey) {
      char key[kShort];
      uint8_t keyLen = 0;
      if (c != '"' || !string(key, &keyLen)) return false;
      field = depth == 1 ? lookup(kFieldNames, kFields, key, keyLen) : (uint8_t)kFields;
      state = kColon;
    } else {
      Slot &slot = field < kFields ? slots[field] : skipped;
      bool isType = field == fT;
      field = kFields;
      slot.kind = Kind::kOther;
      if (c == '{' || c == '[') {
        if (depth == kJsonDepth || (depth == 0 && c != '{')) return false;  // an object at the top
        p_++;
        arrays = c == '[' ? arrays | (uint8_t)(1 << depth) : arrays & (uint8_t)~(1 << depth);
        depth++;
        state = c == '[' ? kValue : kKey;
        opened = true;
        continue;
      }
      if (depth == 0 || !scalar(c, slot, isType ? type : nullptr, isType ? &typeLen : nullptr))
        return false;
      state = kAfter;
    }
    opened = false;
  }
}

bool Reader::scalar(int c, Slot &slot, char *type, uint8_t *typeLen) {
  if (c == '"') {
    slot.kind = Kind::kString;
    return string(type, typeLen);
  }
  if (c == '-' || (c >= '0' && c <= '9')) return number(slot);
  if (c == 'n') {
    slot.kind = Kind::kNull;
    return literal(PSTR("null"));
  }
  return literal(c == 't' ? PSTR("true") : PSTR("false"));
}

bool Reader::literal(const char *word) {
  for (char c; (c = pchar(word, 0)) != 0; word++)
    if (!eat(c)) return false;
  return true;
}

// Copies up to kShort raw bytes of the string into `copy` (if given); a
// longer or escaped string gets a length of kShort + 1, matching no name.
bool Reader::string(char *copy, uint8_t *copyLen) {
  p_++;  // '"'
  uint8_t n = 0;
  for (;;) {
    int c = peek();
    if (c < 0x20) return false;  // end of input, or a raw control character
    p_++;
    if (c == '"') break;
    if (c == '\\') {
      if (!escape()) return false;
      n = kShort + 1;
    } else if (n < kShort) {
      if (copy) copy[n] = (char)c;
      n++;
    } else {
      n = kShort + 1;
    }
  }
  if (copyLen) *copyLen = n;
  return true;
}

bool Reader::escape() {
  int c = peek();
  p_++;
  if (c == 'u') {
    for (uint8_t i = 0; i < 4; i++) {
      int h = peek();
      p_++;
      bool hex = (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
      if (!hex) return false;
    }
    return true;
  }
  return c >= 0 && strchr("\"\\/bfnrt", c) != nullptr && c != 0;
}

bool Reader::digits() {
  if (peek() < '0' || peek() > '9') return false;
  while (peek() >= '0' && peek() <= '9') p_++;
  return true;
}

bool Reader::number(Slot &slot) {
  bool neg = eat('-');
  uint32_t v = 0;
  uint8_t n = 0;
  bool big = false;
  for (int c; (c = peek()) >= '0' && c <= '9'; p_++, n++) {
    if (n == 1 && v == 0) return false;  // no leading zeros
    if (v > 214748364u) big = true;      // the next digit passes 2^31
    v = v * 10 + (uint8_t)(c - '0');
  }
  if (!n) return false;
  bool integer = true;
  if (eat('.')) {
    integer = false;
    if (!digits()) return false;
  }
  if (peek() == 'e' || peek() == 'E') {
    p_++;
    integer = false;
    if (!eat('+')) eat('-');
    if (!digits()) return false;
  }
  if (!integer) return true;  // kOther: a float is not an integer field
  if (big || v > 0x80000000u || (!neg && v == 0x80000000u)) {
    slot.kind = Kind::kBig;
  } else {
    slot.kind = Kind::kInt;
    slot.value = neg ? (int32_t)(0u - v) : (int32_t)v;
  }
  return true;
}

/** Reads the integer fields of one message, remembering the first bad one. */
struct Fields {
  const Slot *slots;
  ParseResult result;

  // `optional`: absent or null keeps the setting, reported as -1 (cfg).
  bool get(uint8_t f, int32_t lo, int32_t hi, bool optional, int32_t &out) {
    const Slot &s = slots[f];
    if (optional && (s.kind == Kind::kAbsent || s.kind == Kind::kNull)) {
      out = -1;
      return true;
    }
    if (s.kind == Kind::kInt && s.value >= lo && s.value <= hi) {
      out = s.value;
      return true;
    }
    result.error = ParseError::kBadField;
    result.field = f;
    result.problem = s.kind == Kind::kAbsent                      ? Problem::kMissing
                     : s.kind == Kind::kInt || s.kind == Kind::kBig ? Problem::kOutOfRange
                                                                    : Problem::kNotInteger;
    return false;
  }
};

/** The integer fields of each message type and their ranges (docs/protocol.md). */
struct FieldSpec {
  uint8_t field;
  int16_t lo, hi;
};
constexpr int16_t kHiSeq = -1, kHiRate = -2;  // hi: up to kMaxSeq, or the robot's rate limit
const FieldSpec kSpecs[] PROGMEM = {
    {fL, -100, 100}, {fR, -100, 100}, {fSeq, 0, kHiSeq},   // drive
    {fSeq, 0, kHiSeq},                                      // stop
    {fId, 0, kHiSeq},                                       // ping
    {fRate, 1, kHiRate}, {fTimeout, kTimeoutMin, kTimeoutMax},  // cfg: each optional
};
// Where each type's fields start in kSpecs, in kTypeNames order (pong, err: none).
const uint8_t kSpecStart[kTypes + 1] PROGMEM = {0, 3, 4, 5, 7, 7, 7};

int32_t *target(Command &c, uint8_t field) {
  switch (field) {
    case fL: return &c.l;
    case fR: return &c.r;
    case fSeq: return &c.seq;
    case fId: return &c.id;
    case fRate: return &c.rate;
    default: return &c.timeout;
  }
}

}  // namespace

ParseResult parseCommand(const uint8_t *text, uint16_t len, uint16_t rateMax, Command &out) {
  Slot slots[kFields];
  for (Slot &s : slots) s.kind = Kind::kAbsent;
  char type[kShort];
  uint8_t typeLen = 0;
  Reader reader(text, len);
  if (!reader.document(slots, type, typeLen))
    return ParseResult{ParseError::kBadJson, Msg::kIgnored, 0, Problem::kMissing};
  uint8_t t = slots[fT].kind == Kind::kString ? lookup(kTypeNames, kTypes, type, typeLen) : kTypes;
  if (t == kTypes) return ParseResult{ParseError::kBadType, Msg::kIgnored, 0, Problem::kMissing};
  Msg m = t > (uint8_t)Msg::kCfg ? Msg::kIgnored : (Msg)t;
  out.type = m;
  Fields f{slots, ParseResult{ParseError::kOk, m, 0, Problem::kMissing}};
  for (uint8_t i = pgm_read_byte(&kSpecStart[t]); i < pgm_read_byte(&kSpecStart[t + 1]); i++) {
    FieldSpec spec;
    memcpy_P(&spec, &kSpecs[i], sizeof spec);
    int32_t hi = spec.hi == kHiSeq ? kMaxSeq : spec.hi == kHiRate ? (int32_t)rateMax : spec.hi;
    if (!f.get(spec.field, spec.lo, hi, m == Msg::kCfg, *target(out, spec.field))) break;
  }
  return f.result;
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
