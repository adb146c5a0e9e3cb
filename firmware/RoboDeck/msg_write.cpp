#include "msg_write.h"

#include "rd_pgm.h"

namespace rd {

const char kFirmwareVersion[] PROGMEM = "0.1.0";

namespace {

/** `"name":` with the separating comma unless it is the first key. */
void key(Out &out, const char *name) {
  out.put(',');
  out.put('"');
  out.putP(name);
  out.putP(PSTR("\":"));
}

void text(Out &out, const char *name, const char *value) {
  key(out, name);
  out.put('"');
  out.putP(value);
  out.put('"');
}

void begin(Out &out, const char *type) {
  out.putP(PSTR("{\"t\":\""));
  out.putP(type);
  out.put('"');
}

}  // namespace

void writeHello(Out &out, const HelloInfo &h) {
  begin(out, PSTR("hello"));
  key(out, PSTR("proto"));
  out.put('1');
  text(out, PSTR("id"), h.id);
  text(out, PSTR("fw"), kFirmwareVersion);
  text(out, PSTR("board"), h.board);
  key(out, PSTR("ch"));
  out.put('[');
  out.putP(h.channels);
  out.put(']');
  key(out, PSTR("rate"));
  out.putU(h.rate);
  key(out, PSTR("timeout"));
  out.putU(h.timeout);
  out.put('}');
}

void writeTel(Out &out, const TelBatch &t) {
  begin(out, PSTR("tel"));
  key(out, PSTR("seq"));
  out.putU(t.seq);
  key(out, PSTR("ms"));
  out.putU(t.ms);
  key(out, PSTR("v"));
  const uint16_t *v = t.v;
  for (uint8_t i = 0; i < t.n; i++) {
    out.put(i ? ',' : '[');
    for (uint8_t c = 0; c < t.width; c++) {
      out.put(c ? ',' : '[');
      out.putU(*v++);
    }
    out.put(']');
  }
  out.put(']');
  key(out, PSTR("m"));
  out.put('[');
  out.putI(t.l);
  out.put(',');
  out.putI(t.r);
  out.put(']');
  key(out, PSTR("ack"));
  out.putI(t.ack);
  out.put('}');
}

void writePong(Out &out, int32_t id) {
  begin(out, PSTR("pong"));
  key(out, PSTR("id"));
  out.putI(id);
  out.put('}');
}

void writeErr(Out &out, const char *code, const char *msg) {
  begin(out, PSTR("err"));
  text(out, PSTR("code"), code);
  text(out, PSTR("msg"), msg);
  out.put('}');
}

void writeParseError(Out &out, const ParseResult &r) {
  if (r.error != ParseError::kBadField) {
    writeErr(out, errorCode(r.error), r.error == ParseError::kBadJson
                                          ? PSTR("frame is not a JSON object")
                                          : PSTR("t missing or unknown"));
    return;
  }
  begin(out, PSTR("err"));
  text(out, PSTR("code"), errorCode(r.error));
  key(out, PSTR("msg"));
  out.put('"');
  out.putP(msgName(r.type));
  out.put('.');
  out.putP(fieldName(r.field));
  out.putP(PSTR(": "));
  out.putP(problemText(r.problem));
  out.putP(PSTR("\"}"));
}

}  // namespace rd
