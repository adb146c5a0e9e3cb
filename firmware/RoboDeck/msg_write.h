// The robot's JSON messages (docs/protocol.md, robot -> app), written
// straight into an Out without building them in RAM first.
//
// A message is an array in flash of pointers: the first to its text (a
// P-string, written after the `{"t":"` every message starts with), the
// others to the variables the text refers to, in order. A character below
// ' ' in the text (JSON has none unescaped) stands for the next variable
// and says what it is (the RD_V_* below), so a message costs its text and
// two bytes a variable. One routine writes them all. The
// messages hello, tel and pong live beside the variables they show
// (robot.cpp); `err`'s are here.
#pragma once

#include <stdint.h>

#include "msg_parse.h"
#include "rd_pgm.h"
#include "text_out.h"

namespace rd {

class Sampler;

// What the next variable is, as a string to write in a message's text.
#define RD_V_TEXT "\x01"   // a P-string, written as it is (the variable is the text)
#define RD_V_PSTR "\x02"   // a `const char *` holding a P-string
#define RD_V_ROWS "\x03"   // a Sampler: tel's rows, `[` and `]` left to the text
#define RD_V_U32 "\x04"    // integers: a uint32_t,
#define RD_V_U16 "\x05"    // a uint16_t,
#define RD_V_I8 "\x06"     // an int8_t

/** Writes the message `message` points to (an array of pointers in flash, above); a WsLink::Writer. */
void writeMessage(Out &out, const void *message);

/** `err` for a refused frame (`result`: its ParseResult), naming the field for bad_field; a WsLink::Writer. */
void writeParseError(Out &out, const void *result);
/** `err` with a fixed code and message (P-strings). */
void writeErr(Out &out, const char *code, const char *msg);

}  // namespace rd
