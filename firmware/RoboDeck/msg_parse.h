// Parsing of app -> robot messages (docs/protocol.md), no I/O, no heap.
//
// The whole frame is checked to be one JSON object (RFC 8259 grammar,
// nesting up to kJsonDepth) so garbage is refused as `bad_json`, as the
// app's reference decoder does; then only the fields the robot uses are
// kept, as integers. Unknown keys are skipped, as in the app.
#pragma once

#include <stdint.h>

namespace rd {

constexpr uint8_t kJsonDepth = 8;

enum class Msg : uint8_t { kDrive, kStop, kPing, kCfg, kIgnored };
enum class ParseError : uint8_t { kOk, kBadJson, kBadType, kBadField };
enum class Problem : uint8_t { kMissing, kNotInteger, kOutOfRange };

/** The fields a parsed message may carry (see Msg for which are set). */
struct Command {
  Msg type;
  int32_t l, r, seq, id;
  int32_t rate, timeout;  // cfg: -1 = keep
};

/** Result of a parse: an error value, with what to tell the peer. */
struct ParseResult {
  ParseError error;
  Msg type;          // for kBadField: which message the field belongs to
  uint8_t field;     // for kBadField: index into the field names
  Problem problem;
  explicit operator bool() const { return error == ParseError::kOk; }
};

/** Parse one text frame; `rateMax` is the highest sample rate this robot takes. */
ParseResult parseCommand(const uint8_t *text, uint16_t len, uint16_t rateMax, Command &out);

/** P-strings naming the error for `err`: code, message type and field. */
const char *errorCode(ParseError e);
const char *msgName(Msg m);
const char *fieldName(uint8_t field);
const char *problemText(Problem p);

}  // namespace rd
