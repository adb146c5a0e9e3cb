// Parsing of app -> robot messages (docs/protocol.md), no I/O, no heap.
//
// One pass over the frame with a small state machine: it checks the JSON
// grammar token by token (nesting up to kJsonDepth, kept as a bit per
// level) so garbage is refused as `bad_json`, as the app's reference
// decoder does, and keeps only the top-level fields the robot uses, as
// integers. Unknown keys are skipped, as in the app.
#pragma once

#include <stdint.h>

namespace rd {

constexpr uint8_t kJsonDepth = 8;

/** The keys the robot reads, in the order of Command::v (and of the key names). */
enum Field : uint8_t { fT, fL, fR, fRate, fTimeout, fSeq, fId, kFields };
enum class Msg : uint8_t { kDrive, kStop, kPing, kCfg, kIgnored };
enum class ParseError : uint8_t { kOk, kBadJson, kBadType, kBadField };
enum class Problem : uint8_t { kMissing, kNotInteger, kOutOfRange };

/** A parsed message: its type and the values of its fields, by Field. */
struct Command {
  Msg type;
  int32_t v[kFields];  // cfg: rate or timeout -1 = keep
};

/** Result of a parse: an error value, with what to tell the peer. */
struct ParseResult {
  ParseError error;
  Msg type;          // for kBadField: which message the field belongs to
  uint8_t field;     // for kBadField: the Field
  Problem problem;
  explicit operator bool() const { return error == ParseError::kOk; }
};

/** Parse one text frame; `rateMax` is the highest sample rate this robot takes. */
ParseResult parseCommand(const uint8_t *text, uint16_t len, uint16_t rateMax, Command &out);

/**
 * The texts of `err`, as P-strings: key names (by Field), then message type
 * names (by Msg), then error codes, problems and messages at the offsets below.
 */
enum Text : uint8_t {
  kTextTypes = kFields,
  kTextCodes = kTextTypes + 6,       // bad_json, bad_type, bad_field (ParseError - 1)
  kTextProblems = kTextCodes + 3,    // by Problem
  kTextMessages = kTextProblems + 3  // the msg of bad_json and of bad_type
};
const char *text(uint8_t index);

}  // namespace rd
