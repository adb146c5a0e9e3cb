// RFC 6455 framing (section 5) over a fixed buffer, with no I/O.
//
// The decoder is fed one byte at a time and says when a whole message or
// control frame has arrived, so it never waits for the network and can be
// tested by feeding it byte strings. Fragments (5.4) are reassembled into
// the buffer; a control frame that arrives between fragments is stored
// right after the partial message, so one buffer serves both.
#pragma once

#include <stdint.h>

namespace rd {

enum WsOpcode : uint8_t {
  kOpCont = 0x0, kOpText = 0x1, kOpBinary = 0x2,
  kOpClose = 0x8, kOpPing = 0x9, kOpPong = 0xA,
};

// Close codes (7.4.1).
constexpr uint16_t kCloseNormal = 1000, kCloseGoingAway = 1001, kCloseProtocol = 1002,
                   kCloseNoStatus = 1005, kClosePolicy = 1008, kCloseTooBig = 1009;

class WsDecoder {
 public:
  enum Event : uint8_t { kNone, kMessage, kPing, kPong, kClose, kError };

  /** `expectMasked`: true on the server side (client frames are masked, 5.1). */
  constexpr WsDecoder(uint8_t *buf, uint16_t cap) : buf_(buf), cap_(cap) {}
  void reset(bool expectMasked);

  /** Consume one byte; returns the event it completes, or kNone. */
  Event feed(uint8_t b);

  // After kMessage: the message payload. After kPing/kPong/kClose: the
  // control payload. After kError: the close code to send (1002 or 1009).
  const uint8_t *data() const { return buf_ + start_; }
  uint16_t size() const { return size_; }
  bool binary() const { return binary_; }
  /** After kClose: the peer's code, or 1005 when it sent none. */
  uint16_t closeCode() const { return code_; }

 private:
  enum State : uint8_t { kHead0, kHead1, kLen, kMask, kPayload, kFailed };
  Event header0(uint8_t b);
  Event header1(uint8_t b);
  Event lengthDone();
  Event payloadDone();
  Event fail(uint16_t code);

  uint8_t *buf_;
  uint16_t cap_;
  uint16_t msgLen_ = 0;     // bytes of the (fragmented) message so far
  uint16_t start_ = 0, size_ = 0;
  uint16_t remaining_ = 0;  // payload bytes still to read in this frame
  uint16_t write_ = 0;      // where the next payload byte goes
  uint16_t code_ = 0;
  uint8_t mask_[4] = {0, 0, 0, 0};
  uint8_t maskPos_ = 0;
  uint8_t need_ = 0;        // length or mask bytes still to read
  uint8_t opcode_ = 0;
  State state_ = kHead0;
  bool fin_ = false, masked_ = false, expectMasked_ = false;
  bool inMessage_ = false, binary_ = false;
};

/** Largest frame header this firmware writes: 2 + 2 (16-bit length) + 4 (mask). */
constexpr uint8_t kWsMaxHeader = 8;

/**
 * Write a final frame's header for `len` payload bytes into `out` and
 * return its size. `mask` non-null: client frame, masked with those 4 bytes.
 */
uint8_t wsHeader(uint8_t *out, uint8_t opcode, uint16_t len, const uint8_t *mask);

}  // namespace rd
