#include "ws_frame.h"

namespace rd {

// 7.4: codes a peer may put on the wire (1005/1006/1015 are never sent).
static bool closeCodeValid(uint16_t c) {
  if (c < 1000 || c >= 5000) return false;
  return c >= 3000 || (c <= 1014 && c != 1004 && c != 1005 && c != 1006);
}

void WsDecoder::reset(bool expectMasked) {
  expectMasked_ = expectMasked;
  state_ = kHead0;
  inMessage_ = false;
  msgLen_ = 0;
}

WsDecoder::Event WsDecoder::fail(uint16_t code) {
  code_ = code;
  state_ = kFailed;
  return kError;
}

WsDecoder::Event WsDecoder::feed(uint8_t b) {
  switch (state_) {
    case kHead0: return header0(b);
    case kHead1: return header1(b);
    case kLen:
      // 5.2: 16- or 64-bit big-endian length; a 64-bit one has its top bit 0.
      // 16 bits suffice: a length past them is beyond any buffer (<= 16 KB).
      if (need_ == 8 && (b & 0x80)) return fail(kCloseProtocol);
      if (remaining_ > 0xFF) return fail(kCloseTooBig);
      remaining_ = (uint16_t)(remaining_ << 8 | b);
      return --need_ ? kNone : lengthDone();
    case kMask:
      mask_[4 - need_] = b;
      if (--need_) return kNone;
      state_ = kPayload;
      return remaining_ ? kNone : payloadDone();
    case kPayload:
      buf_[write_++] = b ^ mask_[maskPos_++ & 3];
      return --remaining_ ? kNone : payloadDone();
    case kFailed: break;
  }
  return kNone;
}

WsDecoder::Event WsDecoder::header0(uint8_t b) {
  fin_ = b & 0x80;
  opcode_ = b & 0x0F;
  if (b & 0x70) return fail(kCloseProtocol);  // 5.2: no extension negotiated, RSV must be 0
  bool control = opcode_ & 0x08;
  if (control) {
    // 5.5: control frames are never fragmented.
    if (opcode_ > kOpPong || !fin_) return fail(kCloseProtocol);
  } else if (opcode_ > kOpBinary) {
    return fail(kCloseProtocol);
  } else if ((opcode_ == kOpCont) != inMessage_) {
    // 5.4: a continuation needs an open message; a new one must not interleave.
    return fail(kCloseProtocol);
  }
  state_ = kHead1;
  return kNone;
}

WsDecoder::Event WsDecoder::header1(uint8_t b) {
  masked_ = b & 0x80;
  if (masked_ != expectMasked_) return fail(kCloseProtocol);  // 5.1
  uint8_t len = b & 0x7F;
  if ((opcode_ & 0x08) && len > 125) return fail(kCloseProtocol);  // 5.5
  remaining_ = 0;
  if (len < 126) {
    remaining_ = len;
    return lengthDone();
  }
  need_ = len == 126 ? 2 : 8;
  state_ = kLen;
  return kNone;
}

WsDecoder::Event WsDecoder::lengthDone() {
  bool control = opcode_ & 0x08;
  uint16_t used = msgLen_;
  if (remaining_ > cap_ - used) return fail(kCloseTooBig);
  write_ = used;
  if (!control && opcode_ != kOpCont) binary_ = opcode_ == kOpBinary;
  maskPos_ = 0;
  for (uint8_t i = 0; i < 4; i++) mask_[i] = 0;
  if (masked_) {
    need_ = 4;
    state_ = kMask;
    return kNone;
  }
  state_ = kPayload;
  return remaining_ ? kNone : payloadDone();
}

WsDecoder::Event WsDecoder::payloadDone() {
  state_ = kHead0;
  if (opcode_ & 0x08) {
    start_ = msgLen_;
    size_ = write_ - msgLen_;
    if (opcode_ == kOpPing) return kPing;
    if (opcode_ == kOpPong) return kPong;
    if (size_ == 1) return fail(kCloseProtocol);  // 5.5.1: a code is 2 bytes
    code_ = size_ >= 2 ? (uint16_t)(data()[0] << 8 | data()[1]) : kCloseNoStatus;
    return size_ < 2 || closeCodeValid(code_) ? kClose : fail(kCloseProtocol);
  }
  msgLen_ = write_;
  inMessage_ = !fin_;
  if (inMessage_) return kNone;
  start_ = 0;
  size_ = msgLen_;
  msgLen_ = 0;
  return kMessage;
}

uint8_t wsHeader(uint8_t *out, uint8_t opcode, uint16_t len, const uint8_t *mask) {
  uint8_t n = 0;
  out[n++] = 0x80 | opcode;
  uint8_t maskBit = mask ? 0x80 : 0;
  if (len < 126) {
    out[n++] = maskBit | (uint8_t)len;
  } else {
    out[n++] = maskBit | 126;
    out[n++] = (uint8_t)(len >> 8);
    out[n++] = (uint8_t)len;
  }
  if (mask)
    for (uint8_t i = 0; i < 4; i++) out[n++] = mask[i];
  return n;
}

}  // namespace rd
