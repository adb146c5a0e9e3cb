// The HTTP/1.1 upgrade of RFC 6455 section 4, both ways, with no I/O.
//
// Bytes of the peer's request or response are fed one at a time; lines are
// collected in a caller-given buffer (the link's receive buffer, idle until
// the handshake is over) and judged as they complete. Only the headers that
// matter are looked at; anything else is skipped, so a proxy's extra
// headers do no harm, and an over-long line is cut rather than overflowing.
#pragma once

#include <stdint.h>

#include "text_out.h"
#include "ws_accept.h"

namespace rd {

extern const char kSubprotocol[];  // "robodeck.v1", in flash

class WsHandshake {
 public:
  enum Result : uint8_t { kMore, kDone, kFail };

  constexpr WsHandshake(uint8_t *line, uint16_t cap) : buf_(line), cap_(cap) {}

  /**
   * Client side: write the upgrade request for the relay path
   * /robot/<id> with `token` as ?token= ("" = none), using the 16-byte
   * `nonce`, and expect the matching accept value. Strings are P-strings.
   */
  void writeRequest(Out &out, const char *host, uint16_t port, const char *id,
                    const char *token, const uint8_t nonce[16]);

  /** Server side: expect a request; `token` (P-string, "" = none) is required. */
  void expectRequest(const char *token);
  /** Server side, after kDone or kFail: write the 101, or the refusal. */
  void writeResponse(Out &out) const;
  /** An HTTP refusal (400, 401, 503) with no body. */
  static void writeRefusal(Out &out, uint16_t status);

  Result feed(uint8_t b);

  /** Client: the server's HTTP status. Server: the status we answer with. */
  uint16_t status() const { return status_; }

 private:
  Result line();
  Result header(const char *name, const char *value);
  Result end();
  void requestLine();
  bool tokenInQuery(const char *target) const;

  char *text() const { return (char *)buf_; }  // the line being collected

  uint8_t *buf_;
  uint16_t cap_, len_ = 0;
  const char *token_ = nullptr;  // server: required token
  char accept_[kWsAcceptChars + 1] = {};
  uint16_t status_ = 0;
  uint8_t seen_ = 0;  // bit per required header found
  bool server_ = false, first_ = true, cut_ = false, authed_ = false;
};

}  // namespace rd
