#include "ws_frame.h"

#include "rd_config.h"
#include "rd_pgm.h"

namespace rd {

// 7.4: codes a peer may put on the wire (1005/1006/1015 are never sent).
static bool closeCodeValid(uint16_t c) {
  c -= 1000;  // 1000..1014 but 1004..1006 (unassigned, or never on the wire), and 3000..4999
  if (c <= 14) return (uint8_t)(c - 4) > 2;
  return (uint16_t)(c - 2000) < 2000;
}

void WsDecoder::reset(bool expectMasked) {
#if defined(ROBODECK_HOST)
  expectMasked_ = expectMasked;
#else
  (void)expectMasked;  // a board's role is RD_MODE
#endif
  got_ = 0;
  inMessage_ = false;
  msgLen_ = 0;
}

WsDecoder::Event WsDecoder::feed(uint8_t b, uint8_t *buf, RxCount cap) {
  // The header in head_ has a fixed layout: 2 bytes, the 16-bit length's 2
  // (unused for a 7-bit one: they are skipped), then the mask's 4 if the
  // frames are masked. So its size depends only on the role, a constant on
  // a board, and the mask is always at head_[4].
  bool masked = expectMasked();
  uint8_t headSize = masked ? 8 : 4, g = got_;  // in 8 bits: no int compares
  if (g < headSize) {
    head_[g++] = b;
    got_ = g;
    if (g == 2) {  // 5.2: 7-bit length, or 126 for 2 more bytes; then the mask
      uint8_t len = b & 0x7F;
      // 127 says 8 length bytes follow; the minimal encoding being a must
      // (5.2), such a frame is over 65535 bytes: too big, unread.
      if (len == 127) return kTooBig;
      if (!(b & 0x80) == masked) return kError;  // 5.1: a client masks, a server does not
      if (len != 126) got_ = g = 4;              // no length bytes
    }
    return g < headSize ? kNone : header(buf, cap);
  }
  // Only frames masked as our role expects get here (5.1); on a board the role is fixed.
  // got_ is 8 after a masked header: it then steps through 8..11 (1000b..1011b)
  // with the payload, so head_[got_ - 4] is the mask's byte for each.
  if (masked) {  // g is got_
    b ^= head_[g - 4];
    got_ = (uint8_t)((g + 1) & 0x0B);
  }
  RxCount w = write_;
  buf[w++] = b;
  write_ = w;
  return w != end_ ? kNone : payloadDone(buf);
}

// The whole header is in: check it (5.2, 5.4, 5.5) and size the payload.
WsDecoder::Event WsDecoder::header(const uint8_t *buf, RxCount cap) {
  uint8_t op = head_[0] & 0x0F, len = head_[1] & 0x7F;
  if (head_[0] & 0x70) return kError;  // no extension negotiated: RSV must be 0
  if (op & 0x08) {
    // 5.5: control frames are never fragmented and carry at most 125 bytes.
    if (op > kOpPong || !(head_[0] & 0x80) || len > 125) return kError;
  } else if (op > kOpBinary || (op == kOpCont) != inMessage_) {
    // 5.4: a continuation needs an open message; a new one must not interleave.
    return kError;
  }
  uint16_t n = len;
  if (len == 126) n = (uint16_t)(head_[2] << 8 | head_[3]);
  if (n > (uint16_t)(cap - msgLen_)) return kTooBig;
  write_ = msgLen_;
  end_ = (RxCount)(msgLen_ + n);
  return n ? kNone : payloadDone(buf);
}

WsDecoder::Event WsDecoder::payloadDone(const uint8_t *buf) {
  uint8_t op = head_[0] & 0x0F;
  got_ = 0;
  if (op & 0x08) {  // its payload is after the message's part before it: data()
    if (op != kOpClose) return (Event)(op + 1);  // ping (kPing: answered by a pong), pong
    // 5.5.1: no payload, or a valid code of 2 bytes first (a control frame's length is its 7-bit one).
    uint8_t len = head_[1] & 0x7F;
    if (!len) return kClose;
    const uint8_t *p = buf + msgLen_;
    if (len == 1 || !closeCodeValid((uint16_t)(p[0] << 8 | p[1]))) return kError;
    return kClose;
  }
  if (head_[0] & 0x80) {  // FIN: the message is buf[0, write_)
    inMessage_ = false, msgLen_ = 0;
    return kMessage;
  }
  inMessage_ = true, msgLen_ = write_;
  return kNone;
}

}  // namespace rd
