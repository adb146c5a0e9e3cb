#include "ws_link.h"

#include "msg_write.h"
#include "net_client.h"
#include "rd_random.h"

namespace rd {

#if !RD_LINK_KEEPS_BUFFER
LinkBuffer linkBuffer;
WsHandshake WsLink::handshake_;
NetClient linkConnection;
#endif

namespace {

static_assert(kHandshakeMs < 32768, "RD_HANDSHAKE_MS: the time since the handshake began is 16 bits");
static_assert(kLinkTimeoutMs < 32768, "RD_LINK_TIMEOUT_MS: a silence is 15 bits, its top bit says pinged (timers())");
// Bytes decoded per poll: a full buffer and a read, at most 255 (an 8-bit count;
// a bigger buffer is filled over several polls).
constexpr uint8_t kPollBytes = kRxBuffer + kRxChunk < 255 ? kRxBuffer + kRxChunk : 255;

// The handshake's texts (upgrade request, 101, refusals) go out in chunks of
// this many bytes: a few more writes, but in direct mode the chunk and the
// refusal's stay within the 63 bytes of the loop's stack frame that one
// instruction reaches (the 101 and accept()'s refusal are inlined there).
constexpr uint8_t kHttpChunk = kTxChunk < 32 ? kTxChunk : 32;

/** Sink for text written straight to a Client (refusals before any link). */
void clientSink(void *ctx, const uint8_t *data, uint16_t len) {
  static_cast<NetClient *>(ctx)->RD_CONN_CALL(write)(data, len);
}

void writeTooBig(Out &out, const void *) {
  writeErr(out, PSTR("too_big"), PSTR("frame over the buffer"));
}

}  // namespace

void WsLink::start(uint32_t now, bool server) {
  state_ = serverRole(server) ? kHandshake : kHashing, opening_ = (uint16_t)now;
#if RD_LINK_KEEPS_BUFFER
  server_ = server;
  inPos_ = inLen_ = 0;
  decoder_.reset(server);  // the handshake does not use it
#else
  // Nothing read, and the decoder reset (all zeros, its role RD_MODE): on a
  // board one loop over the bytes, not a store per field.
  static_assert(offsetof(WsLink, decoder_) == 2 && offsetof(WsLink, inLen_) == 1, "inPos_, inLen_, decoder_");
  memset(&inPos_, 0, 2 + sizeof decoder_);
#endif
}

// Out of line: its chunk stays out of the loop's stack frame, which the
// link's poll() is inlined into; past 63 bytes, every access there costs more.
RD_NOINLINE void WsLink::startClient(uint32_t now, const char *host, uint16_t port, const char *id,
                                     const char *token) {
  start(now, false);
  uint8_t chunk[kHttpChunk];
  Out out(chunk, kHttpChunk, write, this);
  handshake().writeRequest(out, host, port, id, token, nullptr);  // the key is drawn as it is written
  out.flush();
}

void WsLink::startServer(uint32_t now, const char *token) {
  start(now, true);
  handshake().expectRequest(token);
}

void WsLink::accept(uint32_t now, const char *token) {
  // Into the link's own connection when idle (it is closed then), so no
  // client is copied; into a local one only for a refusal.
  NetClient spare;
  bool busy = state_ != kIdle;
  NetClient &incoming = busy ? spare : conn();
  if (!netAccept(incoming)) return;
  if (busy) return refuse(incoming, 503);
  startServer(now, token);
}

void WsLink::refuse(NetClient &c, uint16_t status) {
  uint8_t chunk[kHttpChunk];
  Out out(chunk, kHttpChunk, clientSink, &c);
  WsHandshake::writeRefusal(out, status);
  out.flush();
  c.RD_CONN_CALL(stop)();
}

WsLink::Event WsLink::down(uint8_t why) {
  conn().RD_CONN_CALL(stop)();
  state_ = kIdle;
#if RD_SERIAL_LOG
  if (why != kWhyFailed) why_ = why;
#else
  (void)why;  // no log to show it in: not kept, and no caller works it out
#endif
  return kDown;
}

const char *WsLink::reason() const {
#if RD_SERIAL_LOG
  // In Why order; a walk over one text, not a table of pointers (which lands in RAM).
  const char *p = PSTR("write failed\0connection closed\0handshake refused\0handshake timeout\0"
                       "closed here\0link silent\0closed by peer\0frame too big (1009)\0"
                       "protocol error (1002)");
  for (uint8_t i = why_; i; i--) p += strlen_P(p) + 1;
  return p;
#else
  return PSTR("");  // no log to show it in: the texts would only take flash
#endif
}

WsLink::Event WsLink::poll(uint32_t now32) {
  uint16_t now = (uint16_t)now32;  // every interval measured is far below 65 s
  if (state_ == kIdle) return kNone;
  if (state_ == kFailed) return down(kWhyFailed);
  if (state_ == kHashing) {
    // Nothing is read while hashing: the client's response waits for the
    // accept value, and what follows the server's request for its 101 (a
    // refused request has nothing to hash).
    if (!handshake().hashStep()) return timers(now);
    if (server()) {
      uint8_t chunk[kHttpChunk];
      Out out(chunk, kHttpChunk, write, this);
      handshake().writeResponse(out);
      out.flush();
      return handshake().status() != 101 ? down(kWhyRefused) : opened();
    }
    state_ = kHandshake;  // the client now checks the response against it
  }
  for (uint8_t budget = kPollBytes; budget; budget--) {
    if (inPos_ == inLen_) {
      // Client::read(buf, n) takes what has arrived, up to n, and never
      // waits (Ethernet, both WiFi cores, the host): no available() first.
      int n = conn().RD_CONN_CALL(read)(in(), kRxChunk);
      if (n <= 0) {
        if (!conn().RD_CONN_CALL(connected)()) return down(kWhyClosed);  // all it sent is decoded
        break;
      }
      inPos_ = 0, inLen_ = (uint8_t)n;
      lastRx_ = now;  // and the silence's ping bit cleared (timers())
    }
    Event e = onByte(in()[inPos_++]);
    if (e != kNone || state_ < kHandshake) return e;  // idle, failed, or hashing with the rest unread
  }
  return timers(now);
}

WsLink::Event WsLink::opened() {
  state_ = kOpen;
  return kOpened;  // not pinged: a handshake reads what the peer sent, and every read sets lastRx_
}

WsLink::Event WsLink::onByte(uint8_t b) {
  if (state_ == kHandshake) {
    WsHandshake::Result r = handshake().feed(b);
    if (r == WsHandshake::kMore) return kNone;
    if (server()) {
      state_ = kHashing;  // the answer in the next poll, the 101 once the accept value is hashed
      return kNone;
    }
    return r == WsHandshake::kFail ? down(kWhyRefused) : opened();
  }
  // Open: frames are decoded only on an open link (its only state after the handshake).
  WsDecoder::Event e = decoder_.feed(b, buf(), kRxBuffer);
  switch (e) {
    case WsDecoder::kMessage:
      return kMessage;
    case WsDecoder::kPing:   // 5.5.2: a pong with the same payload
    case WsDecoder::kClose:  // 5.5.1: the close echoed as it came (its code checked, and
                             // reason), then the TCP connection may go
      sendControl(e, decoder_.data(buf()), (uint8_t)decoder_.size());  // the event is the answer's opcode
      if (e == WsDecoder::kPing) return kNone;
      return down(kWhyPeerClose);
    case WsDecoder::kTooBig:  // 7.1.7: fail the connection with the code, saying why first
      sendText(writeTooBig, nullptr);  // frames are decoded only on an open link
      sendClose(kCloseTooBig);
      return down(kWhyTooBig);
    case WsDecoder::kError:
      sendClose(kCloseProtocol);
      return down(kWhyProtocol);
    default:
      return kNone;
  }
}

WsLink::Event WsLink::timers(uint16_t now) {
  uint16_t quiet = now - lastRx_;
  if (state_ != kOpen) {  // a handshake, hashing included
    if ((uint16_t)(now - opening_) <= kHandshakeMs) return kNone;
    return down(kWhyHandshakeTimeout);
  }
  // Once per silence a ping (over TCP, a pong or nothing): it moves lastRx_
  // back by 2^15 ms, so the silence's top bit says "pinged" and its other
  // bits are still the silence (under 32 s: the timeout is far below).
  if ((uint16_t)(quiet & 0x7FFF) > kLinkTimeoutMs) return down(kWhySilent);
  if (quiet >= kPingIdleMs && !(quiet & 0x8000)) {
    lastRx_ = (uint16_t)(lastRx_ - 0x8000);
    sendControl(kOpPing, nullptr, 0);
  }
  return kNone;
}

bool WsLink::sendText(Writer w, const void *ctx) {
  if (state_ != kOpen) return false;
  // A peer that stops reading must not stall the loop (and the failsafe)
  // inside a blocking write: a message is sent only if it fits now whole,
  // its frames' headers counted, and dropped whole otherwise (for telemetry
  // the seq numbers show the gap); no message is ever cut between frames.
  // So it is written twice: counted, then sent.
  uint8_t chunk[kFrameChunk];
  Out out(chunk, kFrameChunk, frameSink, this);
  // One loop for both passes: FIN set while counting leaves kCounting as it
  // is, and once a frame has gone out tx_[0] is kOpCont.
  tx_[0] = kCounting, txBytes_ = 0;  // first only counted, with the frames' headers
  for (;;) {
    w(out, ctx);
    tx_[0] |= 0x80;  // FIN: the rest is the last frame
    out.flush();
    if (tx_[0] != kCounting || !netRoom(conn(), txBytes_)) break;
    tx_[0] = kOpText;
  }
  return state_ == kOpen;  // or kFailed: a write failed
}

void WsLink::frameSink(void *ctx, const uint8_t *data, uint16_t len) {
  WsLink *link = static_cast<WsLink *>(ctx);
  link->frame(const_cast<uint8_t *>(data), (uint8_t)len);  // sendText()'s own chunk: masked in place
}

RD_NOINLINE void WsLink::frame(uint8_t *data, uint8_t len) {
  if (tx_[0] == kCounting) {
    txBytes_ += (uint8_t)(len + 6);  // a header is at most 6 bytes; len + 6 <= 131, in 8 bits
    return;
  }
  // What follows continues the message: tx_[0] is then kOpCont.
  // The header is written from tx_ in both roles (no stack copy).
  if (server()) {  // 5.1: not masked
    tx_[1] = len;
    write(this, tx_, 2);
  } else {  // 5.3: a client masks every frame with a fresh key
    tx_[1] = (uint8_t)(0x80 | len);
    randomBytes(tx_ + 2, 4);
    for (uint8_t i = len; i--;) data[i] ^= tx_[2 + (i & 3)];  // from the end: no count to keep
    write(this, tx_, 6);
  }
  tx_[0] = kOpCont;
  if (len) write(this, data, len);
}

// An Out's sink itself (the handshake's texts): no wrapper to call it through.
void WsLink::write(void *ctx, const uint8_t *data, uint16_t len) {
  WsLink *link = static_cast<WsLink *>(ctx);
  // After a failed write, nothing more: a frame cut short must not be followed by another.
  if (link->state_ != kFailed && link->conn().RD_CONN_CALL(write)(data, len) != len) link->fail(kWhyWrite);
}

void WsLink::sendControl(uint8_t opcode, uint8_t *data, uint8_t len) {
  // Sent only if the largest control frame (125 bytes and a 6-byte header)
  // would fit: one constant to compare with, not this frame's size.
  if (!netRoom(conn(), 125 + 6)) return;
  tx_[0] = (uint8_t)(0x80 | opcode);
  frame(data, len);
}

void WsLink::sendClose(uint16_t code) {
  uint8_t payload[2] = {(uint8_t)(code >> 8), (uint8_t)code};
  sendControl(kOpClose, payload, code ? 2 : 0);
}

void WsLink::close(uint16_t code) {
  if (state_ != kOpen) return;
  sendClose(code);
  fail(kWhyLocalClose);
}

}  // namespace rd
