// Parsing of app -> robot messages (docs/protocol.md), no I/O, no heap.
//
// One pass over the frame tracks only what finds the robot's keys: whether
// it is inside a string, the nesting depth (up to kJsonDepth), and whether
// the next string is a key (the first after `{` or a top-level comma). It
// notes where each of our keys ends (the last of each name). Then only the
// fields the message's type needs are read, from there: `t`'s type name,
// and integers (cfg's absent ones "keep"), each of which must be followed by
// nothing but white space before a separator. Everything else is skipped
// unchecked, so the reader is smaller than a JSON validator; the frames it
// takes that the app would refuse are listed in docs/firmware.md. Unknown
// keys are skipped, as in the app.
#pragma once

#include <stdint.h>

namespace rd {

constexpr uint8_t kJsonDepth = 8;

/** The keys the robot reads, in the order of Command::v (and of the key names). */
enum Field : uint8_t { fT, fL, fR, fRate, fTimeout, fSeq, fId, kFields };
// By the order of the type names; pong and err need no action (an err answered would be a loop).
enum class Msg : uint8_t { kDrive, kStop, kPing, kCfg, kPong, kErr };

/**
 * The texts of `err`, as P-strings: key names (by Field), then message type
 * names (by Msg), then error codes, problems and messages at the
 * offsets below.
 */
enum Text : uint8_t {
  kTextTypes = kFields,
  kTextCodes = kTextTypes + 6,       // bad_json, bad_type, bad_field
  kTextProblems = kTextCodes + 3,    // by Problem - 1
  kTextMessages = kTextProblems + 3  // the msg of bad_json and of bad_type
};
/** An error is the index of its code's text (so an err's parts are all text indexes). */
enum class ParseError : uint8_t { kOk, kBadJson = kTextCodes, kBadType, kBadField };
enum class Problem : uint8_t { kNotInteger = 1, kOutOfRange, kMissing };

/** A parsed message: the values of its fields, by Field (its type is in the ParseResult). */
struct Command {
  const uint8_t *at[kFields];  // where each key ended, null if it did not come (cfg: keep)
  int32_t v[kFields];          // the type's fields (cfg: those that came); the others 0; right after at
};

/** Result of a parse: an error value, with what to tell the peer as the reader's texts (text()). */
struct ParseResult {
  ParseError error;
  uint8_t msg;      // kBadJson, kBadType: the message; otherwise the name of the message's type
  uint8_t field;    // kBadField: the field's name (its Field)
  uint8_t problem;  // kBadField: what is wrong with it
  explicit operator bool() const { return error == ParseError::kOk; }
  /** The message's type, once it parsed: its name is `msg`. */
  Msg type() const { return (Msg)(msg - kTextTypes); }
};

/** Parse one text frame; `rateMax` (at most kTimeoutMax) is the highest sample rate this robot takes. */
ParseResult parseCommand(const uint8_t *text, uint16_t len, uint16_t rateMax, Command &out);

const char *text(uint8_t index);

}  // namespace rd
