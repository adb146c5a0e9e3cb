// RFC 6455 framing (section 5) over a fixed buffer, with no I/O.
//
// The decoder is fed one byte at a time and says when a whole message or
// control frame has arrived, so it never waits for the network and can be
// tested by feeding it byte strings. A frame's header is collected whole
// (2 to 8 bytes) and judged in one place; the payload is unmasked into
// the buffer as it arrives. Fragments (5.4) are reassembled in place; a
// control frame that arrives between fragments is stored right after the
// partial message, so one buffer serves both. Frames are written by the
// link (ws_link.cpp), each under 126 bytes.
#pragma once

#include <stdint.h>

#include "rd_config.h"

namespace rd {

// A count of the receive buffer's bytes: 8 bits when it is that small (the Uno's).
template <bool Small> struct RxCountOf { typedef uint16_t type; };
template <> struct RxCountOf<true> { typedef uint8_t type; };
typedef RxCountOf<(kRxBuffer <= 255)>::type RxCount;

enum WsOpcode : uint8_t {
  kOpCont = 0x0, kOpText = 0x1, kOpBinary = 0x2,
  kOpClose = 0x8, kOpPing = 0x9, kOpPong = 0xA,
};

// Close codes (7.4.1).
constexpr uint16_t kCloseNormal = 1000, kCloseGoingAway = 1001, kCloseProtocol = 1002,
                   kCloseNoStatus = 1005, kClosePolicy = 1008, kCloseTooBig = 1009;

class WsDecoder {
 public:
  // A data message (text or binary) is kMessage. A control frame's event is the
  // opcode the robot answers it with: kClose a close, kPing (== kOpPong) a pong;
  // kPong, which needs no answer, is past the opcodes. kError: a protocol
  // error, to close with 1002; kTooBig: a frame over the buffer, to close with 1009.
  enum Event : uint8_t { kNone = 0, kMessage = 1, kClose = kOpClose, kPing = kOpPong,
                         kPong = kOpPong + 1, kTooBig = 0xE, kError = 0xF };

  // The buffer is its owner's, passed to each call (`buf`, `cap` bytes, up to
  // kRxBuffer), not kept: a decoder is all zeros until reset(), so a static
  // one needs no initial image in flash, and the link's buffer, one static
  // array on a board, is a constant address where it is inlined.
  constexpr WsDecoder() {}
  /** `expectMasked`: true on the server side (client frames are masked, 5.1). */
  void reset(bool expectMasked);

  /** Consume one byte into `buf` (`cap` bytes); returns the event it completes, or kNone. */
  Event feed(uint8_t b, uint8_t *buf, RxCount cap);

  // After kMessage: the message payload, from the buffer's start (msgLen_ is
  // 0 again). After kPing/kPong/kClose: the control payload, stored after
  // the part of a fragmented message that came before it.
  uint8_t *data(uint8_t *buf) const { return buf + msgLen_; }  // a pong or close echo is masked in place
  uint16_t size() const { return write_ - msgLen_; }
  // After kMessage only: the payload's size, from buf's start.
  uint16_t messageSize() const { return write_; }

 private:
  Event header(const uint8_t *buf, RxCount cap);
  Event payloadDone(const uint8_t *buf);

  RxCount msgLen_ = 0;     // bytes of the (fragmented) message so far
  RxCount end_ = 0;        // where this frame's payload ends
  RxCount write_ = 0;      // where the next payload byte goes
  uint8_t head_[8] = {};    // 2 bytes, 2 length bytes (unused for a 7-bit length), 0/4 mask bytes
  uint8_t got_ = 0;        // header bytes read (a 7-bit length's frame skips 2); in a masked payload, 8..11
  bool inMessage_ = false;
  // Are frames masked (the server's role)? Kept on the host, which runs both
  // roles; a board's role is RD_MODE.
#if defined(ROBODECK_HOST)
  bool expectMasked_ = false;
  bool expectMasked() const { return expectMasked_; }
#else
  static constexpr bool expectMasked() { return kDirectMode; }
#endif
};

}  // namespace rd
