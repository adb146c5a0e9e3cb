#include "msg_write.h"

#include "rd_config.h"
#include "sampler.h"

namespace rd {

namespace {

/** tel's "v": the batch's rows of kChannels counts, `]` left to the next piece. */
void writeRows(Out &out, const Sampler &s) {
  const uint16_t *v = s.rows_[0];
  for (uint8_t i = 0; i < s.count_; i++) {
    out.put(i ? ',' : '[');
    for (uint8_t c = 0; c < kChannels; c++) {
      out.put(c ? ',' : '[');
      out.putU(*v++);
    }
    out.put(']');
  }
}

// err's parts: the code and message of writeErr (P-strings), and those of
// writeParseError as indexes into the reader's texts (msg_parse.h).
const char *errPart[2];
uint8_t errText[4];
const char kErrHead[] PROGMEM = "{\"t\":\"err\",\"code\":\"";
const char kErrMsg[] PROGMEM = "\",\"msg\":\"";
const char kErrEnd[] PROGMEM = "\"}";
const char kDot[] PROGMEM = ".";
const char kColon[] PROGMEM = ": ";
const Piece kErr[] PROGMEM = {
    {kErrHead, &errPart[0], Piece::kPStr}, {kErrMsg, &errPart[1], Piece::kPStr},
    {kErrEnd, nullptr, Piece::kEnd}};
const Piece kParseErr[] PROGMEM = {
    {kErrHead, &errText[0], Piece::kText8}, {kErrMsg, &errText[1], Piece::kText8},
    {kErrEnd, nullptr, Piece::kEnd}};
// bad_field: "<type>.<field>: <problem>"
const Piece kFieldErr[] PROGMEM = {
    {kErrHead, &errText[0], Piece::kText8}, {kErrMsg, &errText[1], Piece::kText8},
    {kDot, &errText[2], Piece::kText8}, {kColon, &errText[3], Piece::kText8},
    {kErrEnd, nullptr, Piece::kEnd}};

/** The pointer stored in flash at `p`. */
const void *pointerAt(const void *p) {
#if defined(__AVR__)
  return (const void *)pgm_read_word(p);  // without a copy on the stack
#else
  const void *v;
  memcpy_P(&v, p, sizeof v);
  return v;
#endif
}

}  // namespace

void writePieces(Out &out, const void *pieces) {
  for (const Piece *p = static_cast<const Piece *>(pieces);; p++) {
    out.putP(static_cast<const char *>(pointerAt(&p->text)));
    const void *v = pointerAt(&p->var);
    uint8_t kind = pgm_read_byte(&p->kind);
    if (kind == Piece::kEnd) return;
    if (kind == Piece::kText) continue;
    if (kind == Piece::kPStr) {
      out.putP(*static_cast<const char *const *>(v));
      continue;
    }
    if (kind == Piece::kText8) {
      out.putP(text(*static_cast<const uint8_t *>(v)));
      continue;
    }
    if (kind == Piece::kRows) {
      writeRows(out, *static_cast<const Sampler *>(v));
      continue;
    }
    uint32_t n;  // the integer, for one call that writes them all
    if (kind == Piece::kU32) {
      n = *static_cast<const uint32_t *>(v);
    } else if (kind == Piece::kU16) {
      n = *static_cast<const uint16_t *>(v);
    } else {  // kI8
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
  writePieces(out, kErr);
}

void writeParseError(Out &out, const void *result) {
  const ParseResult &r = *static_cast<const ParseResult *>(result);
  uint8_t e = (uint8_t)r.error;
  errText[0] = (uint8_t)(kTextCodes - 1 + e);
  if (r.error != ParseError::kBadField) {
    errText[1] = (uint8_t)(kTextMessages - 1 + e);
    writePieces(out, kParseErr);
    return;
  }
  errText[1] = (uint8_t)(kTextTypes + (uint8_t)r.type);
  errText[2] = r.field;
  errText[3] = (uint8_t)(kTextProblems - 1 + (uint8_t)r.problem);
  writePieces(out, kFieldErr);
}

}  // namespace rd
