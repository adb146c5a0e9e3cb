// The robot's JSON messages (docs/protocol.md, robot -> app), written
// straight into an Out without building them in RAM first.
#pragma once

#include <stdint.h>

#include "msg_parse.h"
#include "text_out.h"

namespace rd {

extern const char kFirmwareVersion[];

/** What `hello` tells the app; every string is a P-string. */
struct HelloInfo {
  const char *id;
  const char *board;
  const char *channels;  // the JSON objects of "ch", comma-separated
  uint16_t rate, timeout;
};

/** One `tel` batch: `n` rows of `width` raw counts, row-major. */
struct TelBatch {
  uint32_t seq, ms;
  const uint16_t *v;
  uint8_t n, width;
  int8_t l, r;
  int32_t ack;
};

void writeHello(Out &out, const HelloInfo &h);
void writeTel(Out &out, const TelBatch &t);
void writePong(Out &out, int32_t id);
/** `err` for a refused frame, naming the field for bad_field. */
void writeParseError(Out &out, const ParseResult &r);
/** `err` with a fixed code and message (P-strings). */
void writeErr(Out &out, const char *code, const char *msg);

}  // namespace rd
