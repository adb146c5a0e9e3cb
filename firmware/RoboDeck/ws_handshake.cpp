#include "ws_handshake.h"

#include "rd_config.h"
#include "rd_pgm.h"

namespace rd {

const char kSubprotocol[] PROGMEM = "robodeck.v1";

namespace {

enum Seen : uint8_t {
  kUpgrade = 1, kConnection = 2, kAccept = 4, kProtocol = 8, kVersion = 16, kKey = 32,
};
constexpr uint8_t kClientNeeds = kUpgrade | kConnection | kAccept | kProtocol;
constexpr uint8_t kServerNeeds = kUpgrade | kConnection | kVersion | kKey;

// Header names we look at, lower case, in Header order.
enum Header : uint8_t { kHUpgrade, kHConnection, kHAccept, kHProtocol, kHVersion, kHKey, kHAuth };
const char kHeaders[] PROGMEM =
    "upgrade\0connection\0sec-websocket-accept\0sec-websocket-protocol\0"
    "sec-websocket-version\0sec-websocket-key\0authorization\0";
constexpr uint8_t kHeaderCount = 7;
const char hUpgrade[] PROGMEM = "upgrade";
const char vWebsocket[] PROGMEM = "websocket";

/** Index of the header `name` (any case) in kHeaders, or kHeaderCount. */
uint8_t headerIndex(const char *name) {
  const char *h = kHeaders;
  uint8_t i = 0;
  for (; i < kHeaderCount && strcasecmp_P(name, h); i++) h += strlen_P(h) + 1;
  return i;
}

/** Is `p` one of the comma-separated tokens of `list` (RFC 7230 7)? */
bool hasToken(const char *list, const char *p) {
  while (*list) {
    while (*list == ' ' || *list == ',') list++;
    const char *end = list;
    while (*end && *end != ',' && *end != ' ') end++;
    uint8_t n = (uint8_t)(end - list);
    if (n && !strncasecmp_P(list, p, n) && !pchar(p, n)) return true;
    while (*end == ' ') end++;
    if (*end && *end != ',') end++;
    list = end;
  }
  return false;
}

const char *statusText(uint16_t status) {
  switch (status) {
    case 101: return PSTR("101 Switching Protocols");
    case 401: return PSTR("401 Unauthorized");
    case 503: return PSTR("503 Service Unavailable");
    default: return PSTR("400 Bad Request");
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/** Compares a percent-encoded query value (ending at '&', ' ' or NUL) with `p`. */
bool queryValueIs(const char *v, const char *p) {
  uint16_t i = 0;
  while (*v && *v != '&' && *v != ' ' && *v != '#') {
    char c = *v++;
    if (c == '+') c = ' ';
    if (c == '%' && hexValue(v[0]) >= 0 && hexValue(v[1]) >= 0) {
      c = (char)(hexValue(v[0]) * 16 + hexValue(v[1]));
      v += 2;
    }
    if (c != pchar(p, i++)) return false;
  }
  return pchar(p, i) == 0;
}

}  // namespace

void WsHandshake::writeRequest(Out &out, const char *host, uint16_t port, const char *id,
                               const char *token, const uint8_t nonce[16]) {
  char key[kWsKeyChars + 1];
  base64(nonce, 16, key);
  wsAccept(key, kWsKeyChars, accept_);
  server_ = false, first_ = true, len_ = 0, seen_ = 0, status_ = 0;
  out.putP(PSTR("GET /robot/"));
  out.putUrl(id);
  if (pchar(token, 0)) {
    out.putP(PSTR("?token="));
    out.putUrl(token);
  }
  out.putP(PSTR(" HTTP/1.1\r\nHost: "));
  out.putP(host);
  out.put(':');
  out.putU(port);
  out.putP(PSTR("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "));
  for (uint8_t i = 0; i < kWsKeyChars; i++) out.put(key[i]);
  out.putP(PSTR("\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: "));
  out.putP(kSubprotocol);
  out.putP(PSTR("\r\n\r\n"));
}

void WsHandshake::expectRequest(const char *token) {
  server_ = true, first_ = true, len_ = 0, seen_ = 0, status_ = 400;
  token_ = token;
  authed_ = !pchar(token, 0);
}

void WsHandshake::writeResponse(Out &out) const {
  if (status_ != 101) return writeRefusal(out, status_);
  out.putP(PSTR("HTTP/1.1 "));
  out.putP(statusText(status_));
  out.putP(PSTR("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "));
  for (uint8_t i = 0; i < kWsAcceptChars; i++) out.put(accept_[i]);
  out.putP(PSTR("\r\nSec-WebSocket-Protocol: "));
  out.putP(kSubprotocol);
  out.putP(PSTR("\r\n\r\n"));
}

void WsHandshake::writeRefusal(Out &out, uint16_t status) {
  out.putP(PSTR("HTTP/1.1 "));
  out.putP(statusText(status));
  out.putP(PSTR("\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
}

WsHandshake::Result WsHandshake::feed(uint8_t b) {
  if (b != '\n') {
    if (len_ + 1 < cap_) text()[len_++] = (char)b;
    else cut_ = true;
    return kMore;
  }
  while (len_ && (text()[len_ - 1] == '\r' || text()[len_ - 1] == ' ')) len_--;
  text()[len_] = 0;
  Result r = line();
  len_ = 0, cut_ = false;
  return r;
}

WsHandshake::Result WsHandshake::line() {
  if (first_) {
    first_ = false;
    if (cut_) return serverRole(server_) ? (status_ = 400, kFail) : kFail;
    if (serverRole(server_)) {
      requestLine();
      return kMore;
    }
    // "HTTP/1.1 101 Switching Protocols"
    if (len_ < 12 || strncmp_P(text(), PSTR("HTTP/1.1 "), 9)) return kFail;
    for (uint8_t i = 9; i < 12; i++) status_ = status_ * 10 + (uint16_t)(text()[i] - '0');
    return kMore;
  }
  if (len_ == 0) return end();
  if (cut_) return kMore;  // no header we need is this long
  char *colon = text();
  while (*colon && *colon != ':') colon++;
  if (!*colon) return kMore;
  char *value = colon + 1;
  while (*value == ' ' || *value == '\t') value++;
  uint16_t nameLen = (uint16_t)(colon - text());
  while (nameLen && text()[nameLen - 1] == ' ') nameLen--;
  text()[nameLen] = 0;
  return header(text(), value);
}

// One header line, for either role (4.1 and 4.2.1 say what each needs).
WsHandshake::Result WsHandshake::header(const char *name, const char *value) {
  bool server = serverRole(server_);
  switch (headerIndex(name)) {
    case kHUpgrade:
      if (!strcasecmp_P(value, vWebsocket)) seen_ |= kUpgrade;
      break;
    case kHConnection:
      if (hasToken(value, hUpgrade)) seen_ |= kConnection;
      break;
    case kHAccept:
      if (server) break;
      if (strcmp(value, accept_)) return kFail;
      seen_ |= kAccept;
      break;
    case kHProtocol:
      if (server ? hasToken(value, kSubprotocol) : !strcmp_P(value, kSubprotocol)) seen_ |= kProtocol;
      break;
    case kHVersion:
      if (server && !strcmp_P(value, PSTR("13"))) seen_ |= kVersion;
      break;
    case kHKey:
      if (server && strlen(value) == kWsKeyChars) {
        wsAccept(value, kWsKeyChars, accept_);
        seen_ |= kKey;
      }
      break;
    case kHAuth:
      if (server && !strncasecmp_P(value, PSTR("bearer "), 7) && !strcmp_P(value + 7, token_))
        authed_ = true;
      break;
  }
  return kMore;
}

void WsHandshake::requestLine() {
  // "GET <target> HTTP/1.1"; the token may ride in the target's query.
  if (len_ < 14 || strncmp_P(text(), PSTR("GET "), 4) ||
      strcmp_P(text() + len_ - 9, PSTR(" HTTP/1.1")))
    return;
  text()[len_ - 9] = 0;
  seen_ |= 128;  // a valid request line
  if (tokenInQuery(text() + 4)) authed_ = true;
}

bool WsHandshake::tokenInQuery(const char *target) const {
  const char *q = strchr(target, '?');
  while (q) {
    q++;
    if (!strncmp_P(q, PSTR("token="), 6) && queryValueIs(q + 6, token_)) return true;
    q = strchr(q, '&');
  }
  return false;
}

WsHandshake::Result WsHandshake::end() {
  if (!serverRole(server_)) return status_ == 101 && (seen_ & kClientNeeds) == kClientNeeds ? kDone : kFail;
  bool upgrade = (seen_ & (kServerNeeds | 128)) == (kServerNeeds | 128);
  status_ = !upgrade ? 400 : !authed_ ? 401 : !(seen_ & kProtocol) ? 400 : 101;
  return status_ == 101 ? kDone : kFail;
}

}  // namespace rd
