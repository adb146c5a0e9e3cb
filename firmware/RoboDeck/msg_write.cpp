#include "msg_write.h"

#include "rd_pgm.h"

namespace rd {

const char kFirmwareVersion[] PROGMEM = "0.1.0";

void writeHello(Out &out, const HelloInfo &h) {
  out.putP(PSTR("{\"t\":\"hello\",\"proto\":1,\"id\":\""));
  out.putP(h.id);
  out.putP(PSTR("\",\"fw\":\""));
  out.putP(kFirmwareVersion);
  out.putP(PSTR("\",\"board\":\""));
  out.putP(h.board);
  out.putP(PSTR("\",\"ch\":["));
  out.putP(h.channels);
  out.putP(PSTR("],\"rate\":"));
  out.putU(h.rate);
  out.putP(PSTR(",\"timeout\":"));
  out.putU(h.timeout);
  out.put('}');
}

void writeTel(Out &out, const TelBatch &t) {
  out.putP(PSTR("{\"t\":\"tel\",\"seq\":"));
  out.putU(t.seq);
  out.putP(PSTR(",\"ms\":"));
  out.putU(t.ms);
  out.putP(PSTR(",\"v\":"));
  const uint16_t *v = t.v;
  for (uint8_t i = 0; i < t.n; i++) {
    out.put(i ? ',' : '[');
    for (uint8_t c = 0; c < t.width; c++) {
      out.put(c ? ',' : '[');
      out.putU(*v++);
    }
    out.put(']');
  }
  out.putP(PSTR("],\"m\":["));
  out.putI(t.l);
  out.put(',');
  out.putI(t.r);
  out.putP(PSTR("],\"ack\":"));
  out.putI(t.ack);
  out.put('}');
}

void writePong(Out &out, int32_t id) {
  out.putP(PSTR("{\"t\":\"pong\",\"id\":"));
  out.putI(id);
  out.put('}');
}

/** `{"t":"err","code":"<code>","msg":"` : the message text follows. */
static void errHead(Out &out, const char *code) {
  out.putP(PSTR("{\"t\":\"err\",\"code\":\""));
  out.putP(code);
  out.putP(PSTR("\",\"msg\":\""));
}

void writeErr(Out &out, const char *code, const char *msg) {
  errHead(out, code);
  out.putP(msg);
  out.putP(PSTR("\"}"));
}

void writeParseError(Out &out, const ParseResult &r) {
  if (r.error != ParseError::kBadField) {
    writeErr(out, errorCode(r.error), r.error == ParseError::kBadJson
                                          ? PSTR("frame is not a JSON object")
                                          : PSTR("t missing or unknown"));
    return;
  }
  errHead(out, errorCode(r.error));
  out.putP(msgName(r.type));
  out.put('.');
  out.putP(fieldName(r.field));
  out.putP(PSTR(": "));
  out.putP(problemText(r.problem));
  out.putP(PSTR("\"}"));
}

}  // namespace rd
