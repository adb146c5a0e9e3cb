#include "msg_write.h"

#include "rd_config.h"
#include "sampler.h"

namespace rd {

namespace {

/** tel's "v": the batch's rows of kChannels counts, `[` and `]` left to the text. */
void writeRows(Out &out, const Sampler &s) {
  const uint16_t *v = s.rows_[0];
  for (uint8_t i = 0; i < s.count_; i++) {
    if (i) out.put(',');
    for (uint8_t c = 0; c < kChannels; c++) {
      out.put(c ? ',' : '[');
      out.putU(*v++);
    }
    out.put(']');
  }
}

// err's parts as P-strings: the code and message of writeErr, or those of
// writeParseError (the reader's texts its ParseResult names, msg_parse.h).
const char *errPart[4];
const char kErrHead[] PROGMEM = "err\",\"code\":\"";
const char kTypeKey[] PROGMEM = "{\"t\":\"";  // how every message starts
const char kErrText[] PROGMEM = RD_V_TEXT RD_V_PSTR "\",\"msg\":\"" RD_V_PSTR "\"}";
const void *const kErr[] PROGMEM = {kErrText, kErrHead, &errPart[0], &errPart[1]};
// bad_field: "<type>.<field>: <problem>"
const char kFieldErrText[] PROGMEM =
    RD_V_TEXT RD_V_PSTR "\",\"msg\":\"" RD_V_PSTR "." RD_V_PSTR ": " RD_V_PSTR "\"}";
const void *const kFieldErr[] PROGMEM = {kFieldErrText, kErrHead, &errPart[0], &errPart[1], &errPart[2],
                                         &errPart[3]};

/** The pointer stored in flash at `p`, `p` stepped past it. */
const void *nextPointer(const void *const *&p) {
#if defined(__AVR__)
  const void *v;  // two lpm Z+, without a copy on the stack
  __asm__("lpm %A0, Z+\n\tlpm %B0, Z+" : "=r"(v), "+z"(p));
  return v;
#else
  const void *v;
  memcpy_P(&v, p++, sizeof v);
  return v;
#endif
}

}  // namespace

void writeMessage(Out &out, const void *message) {
  const void *const *var = static_cast<const void *const *>(message);
  const char *text = static_cast<const char *>(nextPointer(var));
  out.putP(kTypeKey);
  for (uint8_t kind; (kind = pnext(text)) != 0;) {
    if (kind >= ' ') {
      out.put((char)kind);
      continue;
    }
    const void *v = nextPointer(var);
    if (kind <= RD_V_PSTR[0]) {  // a text
      const char *p = static_cast<const char *>(v);
      if (kind == RD_V_PSTR[0]) p = *static_cast<const char *const *>(v);
      out.putP(p);
      continue;
    }
    if (kind == RD_V_ROWS[0]) {
      writeRows(out, *static_cast<const Sampler *>(v));
      continue;
    }
    uint32_t n;  // the integer, for one call that writes them all
    if (kind == RD_V_U32[0]) {
      n = *static_cast<const uint32_t *>(v);
    } else if (kind == RD_V_U16[0]) {
      n = *static_cast<const uint16_t *>(v);
    } else {  // RD_V_I8
      uint8_t b = *static_cast<const uint8_t *>(v);  // an int8_t, in two's complement
      if (b & 0x80) {
        out.put('-');
        b = (uint8_t)-b;
      }
      n = b;
    }
    out.putU(n);
  }
}

void writeErr(Out &out, const char *code, const char *msg) {
  errPart[0] = code, errPart[1] = msg;
  writeMessage(out, kErr);
}

void writeParseError(Out &out, const void *result) {
  static_assert(sizeof(ParseResult) == sizeof errPart / sizeof *errPart, "a ParseResult is err's parts");
  const uint8_t *r = static_cast<const uint8_t *>(result);
  for (uint8_t i = 0; i < 4; i++) errPart[i] = text(r[i]);  // bad_json, bad_type: the last two unread
  writeMessage(out, r[0] != (uint8_t)ParseError::kBadField ? kErr : kFieldErr);
}

}  // namespace rd
