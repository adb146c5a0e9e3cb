// The HTTP/1.1 upgrade of RFC 6455 section 4, both ways, with no I/O.
//
// One streaming scanner for both roles: bytes of the peer's request or
// response are fed one at a time and nothing is buffered. A request line
// is split into fields at spaces, a status line matched whole against
// "HTTP/1.1 101 "; all of it is judged at the blank line that ends the
// headers. A header's name is hashed as it arrives
// and, for the few names that matter, its value is matched character by
// character against what it must hold ("websocket", our accept value, the
// token, ...). Each match only ever sets a bit, so an unknown header, a
// repeated one or one whose name hashes like ours does no harm; anything
// else is skipped, so a proxy's extra headers do no harm either. The SHA-1
// of the accept value is kept in a caller-given work area (the link's
// receive buffer, idle until the handshake is over) and finished by
// hashStep(), a bounded piece per call: the client's after writeRequest()
// and before the response is fed, the server's after kDone and before
// writeResponse().
#pragma once

#include <stdint.h>

#include "link_buffer.h"
#include "rd_config.h"
#include "text_out.h"
#include "ws_accept.h"

namespace rd {

class WsHandshake {
 public:
  enum Result : uint8_t { kMore, kDone, kFail };
  /** Bytes of work area the handshake needs. */
  static constexpr uint16_t kWorkSize = sizeof(Sha1);

  // `work`: kWorkSize bytes, idle until the handshake is over. On a board it is linkBuffer.
#if RD_LINK_KEEPS_BUFFER
  constexpr explicit WsHandshake(uint8_t *work) : work_(work) {}
#else
  constexpr WsHandshake() {}
#endif

  /**
   * Client side: write the upgrade request for the relay path
   * /robot/<id> with `token` as ?token= ("" = none), and expect the
   * matching accept value (hashStep() until true before the response is
   * fed). Strings are P-strings. On boards host, port, id and token are
   * config.h's, written as one flash text; only the host build writes the
   * arguments. The key is 16 bytes drawn from random16() as they are
   * written; `nonce` is not read (kept for the link's call).
   */
  void writeRequest(Out &out, const char *host, uint16_t port, const char *id,
                    const char *token, const uint8_t nonce[16]);

  /** Server side: expect a request; `token` (P-string, "" = none) is required. */
  void expectRequest(const char *token);
  /** Server side, after kDone and hashStep() until true, or kFail: write the 101, or the refusal. */
  void writeResponse(Out &out) const;
  /** An HTTP refusal (400, 401, 503) with no body. */
  static void writeRefusal(Out &out, uint16_t status);

  Result feed(uint8_t b);

  /**
   * A bounded piece of the accept value's SHA-1 (ms on an AVR); true once
   * it is done, at once after the server's kFail (nothing to hash).
   */
  bool hashStep() { return sha().step(); }

  /**
   * Server: the status we answer with. Client: 101 once the status line
   * starts "HTTP/1.1 101 ", else 0 (a refusal's status is not read, only
   * failed).
   */
  uint16_t status() const { return serverRole(server_) ? serverStatus() : clientStatus(); }

 private:
  void start(bool server);
  uint16_t clientStatus() const;
  // status_ is the low byte: 101, or 400 or 401 over 256.
  uint16_t serverStatus() const { return status_ == 101 ? 101 : 0x100 | status_; }
  Result lineEnd();
  Result end();
  void field(uint8_t c);
  void element() { match(0, true); }
  void match(char c, bool end = false);
#if RD_LINK_KEEPS_BUFFER
  Sha1 &sha() const { return *reinterpret_cast<Sha1 *>(work_); }
  uint8_t *work_;
#else
  static Sha1 &sha() { return linkBuffer.sha; }
#endif
  const char *token_ = nullptr;  // server: required token
  // A server's start() zeroes everything from status_ up to server_ at once;
  // a client's only what it reads: seen_ and at_.
  uint8_t status_ = 0;  // server: the answer's low byte (serverStatus())
  uint8_t seen_ = 0;    // a bit per kind of pattern matched
  uint8_t pat_ = 0;     // the pattern the current field or value is matched against; kPBlank, kPName in a name
  uint8_t at_ = 0;      // characters matched so far, or kNoMatch; in a header name, its hash so far
  uint8_t pct_ = 0;     // percent-decoding in the request target: 0, or an escape begun
  bool server_ = false;
};

}  // namespace rd
