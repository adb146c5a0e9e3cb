// One WebSocket connection over the network's client (NetClient): handshake, frames,
// ping/pong, close, keepalive, all without blocking.
//
// poll() reads what has arrived (a bounded amount per call), answers
// control frames itself and hands data messages to the caller one at a
// time. Nothing waits on the peer: a handshake that stalls and a link that
// goes silent end in kDown at their deadlines, a close is echoed or sent and
// the link ends at once, so the robot never waits on the network for
// longer than a few milliseconds.
#pragma once

#include "platform.h"
#include "rd_config.h"
#include "text_out.h"
#include "ws_frame.h"
#include "ws_handshake.h"

// A call on the link's connection (ws_link.cpp). On a board NetClient's
// own function, named in the call, so it is a direct call rather than one
// through the vtable; on the host a virtual one (tests hand fakes).
#if RD_LINK_KEEPS_BUFFER
#define RD_CONN_CALL(fn) fn
#else
#define RD_CONN_CALL(fn) NetClient::fn
#endif

namespace rd {

#if !RD_LINK_KEEPS_BUFFER
/** A board's one link's connection (ws_link.cpp): the robot connects or accepts into it. */
extern NetClient linkConnection;
#endif

class WsLink {
 public:
  enum Event : uint8_t { kNone, kOpened, kMessage, kDown };
  // kFailed: a write failed, or we closed; the next poll reports kDown.
  // kHashing: the accept value's SHA-1, a bounded piece per poll, before the
  // client reads the response or the server answers the request.
  enum State : uint8_t { kIdle, kFailed, kHashing, kHandshake, kOpen };
  typedef void (*Writer)(Out &out, const void *ctx);

  /**
   * A message goes out as a fragmented text message (5.4): a frame per full
   * chunk of this many bytes, the rest as the last frame. Every frame is
   * under 126 bytes, so its length is the 7-bit form (5.2).
   */
  static constexpr uint8_t kFrameChunk = kTxChunk < 125 ? kTxChunk : 125;

  /** Bytes of RAM the link needs: frames, and what was read but not decoded. */
  static constexpr uint16_t kBufferSize = kRxBuffer + kRxChunk;

  // `buffer`: kBufferSize bytes; `conn`: the connection it runs over. On a
  // board, where there is one link, the link keeps no pointers and takes
  // none: its buffer is linkBuffer (link_buffer.h), its connection
  // linkConnection (above) and its handshake a static beside them, so every
  // address is a constant (the handshake's SHA-1 too) and the link object
  // is all zeros until started, in .bss with no initial image in flash. The
  // host (tests run several links at once) keeps what it is given and a
  // handshake of its own.
#if RD_LINK_KEEPS_BUFFER
  constexpr WsLink(uint8_t *buffer, NetClient &conn) : buf_(buffer), handshake_(buffer), client_(&conn) {}
#else
  constexpr WsLink() {}
#endif

  /** Client role, on an idle link whose connection is connected: send the upgrade request. */
  void startClient(uint32_t now, const char *host, uint16_t port, const char *id,
                   const char *token);
  /** Server role, on an idle link whose connection was just accepted: wait for its upgrade request. */
  void startServer(uint32_t now, const char *token);
  /**
   * Server role, every loop: a connection that arrived, if any. An idle
   * link takes it (startServer() with `token`); a busy one answers it 503
   * and hangs up, as it serves one app at a time.
   */
  void accept(uint32_t now, const char *token);

  Event poll(uint32_t now);
  /** After kMessage: the payload (valid until the next poll). */
  const uint8_t *data() const { return buf(); }
  uint16_t size() const { return decoder_.messageSize(); }

  /** Send one text message made by `w`; false (and the link goes down) on failure. */
  bool sendText(Writer w, const void *ctx);
  /**
   * Close an open link with `code` (5.5.1): our close frame goes out and the
   * next poll() reports kDown, without waiting for the peer's answer (7.1.1
   * lets a server drop the connection first; the robot itself never closes a
   * link, it only answers the peer's close and fails on errors).
   */
  void close(uint16_t code);
  State state() const { return state_; }
  bool open() const { return state_ == kOpen; }
  /** Why the last kDown happened, for the log (a P-string). */
  const char *reason() const;

 private:
  // Why a link went down: a code, kept only in a build with a log (the texts too).
  enum Why : uint8_t {
    kWhyWrite, kWhyClosed, kWhyRefused, kWhyHandshakeTimeout, kWhyLocalClose, kWhySilent,
    kWhyPeerClose, kWhyTooBig, kWhyProtocol,
    kWhyFailed,  // down(): the reason fail() kept
  };
  void fail(uint8_t why) {
    state_ = kFailed;
#if RD_SERIAL_LOG
    why_ = why;
#else
    (void)why;
#endif
  }
  Event down(uint8_t why);
  Event opened();
  Event onByte(uint8_t b);
  Event timers(uint16_t now);
  void sendControl(uint8_t opcode, uint8_t *data, uint8_t len);
  void sendClose(uint16_t code);
  void frame(uint8_t *data, uint8_t len);
  static void write(void *ctx, const uint8_t *data, uint16_t len);  // ctx: the link; an Out's sink
  static void frameSink(void *ctx, const uint8_t *data, uint16_t len);
  void start(uint32_t now, bool server);
  /** Answer a connection we cannot serve with an HTTP `status` and hang up. */
  static void refuse(NetClient &c, uint16_t status);

  // The buffer: frames (kRxBuffer bytes, the handshake's SHA-1 before them),
  // then what was read from the network and not yet decoded (in()).
#if RD_LINK_KEEPS_BUFFER
  uint8_t *buf() const { return buf_; }
  WsHandshake &handshake() { return handshake_; }
  uint8_t *buf_;
  WsHandshake handshake_;
#else
  static uint8_t *buf() { return linkBuffer.bytes; }
  static WsHandshake &handshake() { return handshake_; }
  static WsHandshake handshake_;
#endif
  uint8_t *in() const { return buf() + kRxBuffer; }

#if RD_LINK_KEEPS_BUFFER
  NetClient &conn() const { return *client_; }
  NetClient *client_;
#else
  static NetClient &conn() { return linkConnection; }
#endif
  uint8_t inPos_ = 0, inLen_ = 0;
  WsDecoder decoder_;
#if RD_SERIAL_LOG
  uint8_t why_ = 0;
#endif
  static constexpr uint8_t kCounting = 0xFF;  // tx_[0] while sendText() only counts (FIN set in it too)
  // A frame's header: FIN and opcode, then the length, then (a client's) mask;
  // on a direct-mode board, a server only, no mask.
  static constexpr uint8_t kTxHead = RD_LINK_KEEPS_BUFFER || !kDirectMode ? 6 : 2;
  uint8_t tx_[kTxHead] = {};
  uint16_t txBytes_ = 0;  // what sendText() counted
  // Timers are 16-bit: every interval they measure is far below 65 s.
  uint16_t opening_ = 0, lastRx_ = 0;  // opening_: when the handshake began
  State state_ = kIdle;
  // The role: kept on the host, which runs both; a board's is RD_MODE.
#if RD_LINK_KEEPS_BUFFER
  bool server_ = false;
  bool server() const { return server_; }
#else
  static constexpr bool server() { return kDirectMode; }
#endif
};

static_assert(WsHandshake::kWorkSize <= kRxBuffer, "RD_RX_BUFFER must hold the handshake's SHA-1");
#if !RD_LINK_KEEPS_BUFFER
static_assert(sizeof linkBuffer.bytes == WsLink::kBufferSize, "linkBuffer (link_buffer.h) is the link's buffer");
#endif

}  // namespace rd
