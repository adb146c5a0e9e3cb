// The robot's JSON messages (docs/protocol.md, robot -> app), written
// straight into an Out without building them in RAM first.
//
// A message is a table in flash of pieces: a constant text, then the value
// of a variable (an integer, a P-string, the telemetry rows). One routine
// writes any such table, so each message costs a few bytes of table rather
// than a sequence of calls. The tables of hello, tel and pong live beside
// the variables they show (robot.cpp); `err`'s are here.
#pragma once

#include <stdint.h>

#include "msg_parse.h"
#include "rd_pgm.h"
#include "text_out.h"

namespace rd {

class Sampler;

/** One piece of a message: `text` (a P-string), then `var` as `kind` says. */
struct Piece {
  enum Kind : uint8_t { kEnd, kText, kU32, kU16, kI8, kPStr, kRows, kText8 };
  const char *text;
  const void *var;  // kU32..kI8: the integer; kPStr: a `const char *` P-string; kRows: a Sampler;
                    // kText8: a uint8_t, the index of one of the reader's texts (msg_parse.h)
  Kind kind;        // kEnd: the message ends after `text`; kText: nothing after it
};

/** Writes the message whose pieces `pieces` points to (a Piece table in flash); a WsLink::Writer. */
void writePieces(Out &out, const void *pieces);

/** `err` for a refused frame (`result`: its ParseResult), naming the field for bad_field; a WsLink::Writer. */
void writeParseError(Out &out, const void *result);
/** `err` with a fixed code and message (P-strings). */
void writeErr(Out &out, const char *code, const char *msg);

}  // namespace rd
