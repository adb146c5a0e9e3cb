#include "ws_handshake.h"

#include "rd_config.h"
#include "rd_pgm.h"
#include "rd_random.h"

namespace rd {

namespace {

// What only one role needs: a board has one role (RD_MODE), the host both.
#if defined(ROBODECK_HOST)
#define RD_SERVER_TEXT(s) s
#define RD_CLIENT_TEXT(s) s
#define RD_SERVER_ONLY(...) __VA_ARGS__
constexpr bool kServerCode = true;
#elif RD_MODE == RD_MODE_DIRECT
#define RD_SERVER_TEXT(s) s
#define RD_CLIENT_TEXT(s) ""
#define RD_SERVER_ONLY(...) __VA_ARGS__
constexpr bool kServerCode = true;
#else
#define RD_SERVER_TEXT(s) ""
#define RD_CLIENT_TEXT(s) s
#define RD_SERVER_ONLY(...)
constexpr bool kServerCode = false;
#endif

// What a field or header value is matched against. The header patterns
// come first, in the order of kNameHash; their text is in kPatternText.
enum Pattern : uint8_t {
  kPWebsocket,   // Upgrade: websocket
  kPUpgrade,     // Connection: ..., Upgrade
  kPProtocol,    // Sec-WebSocket-Protocol: ..., robodeck.v1
  kPVersion,     // Sec-WebSocket-Version: 13
  kPAccept,      // client: Sec-WebSocket-Accept: <ours>
  kPBearer,      // server: Authorization: Bearer <token>
  kPKey,         // server: Sec-WebSocket-Key (hashed, not matched)
  kPNone,        // anything else
  // The first line's: from kPStatus on, pat_ is also where the scanner is.
  kPStatus,      // status line: HTTP/1.1 101, then anything
  kPGet,         // request line's fields, a space apart: GET,
  kPToken,       // the target: token=<token> between '?' or '&',
  kPHttp,        // HTTP/1.1,
  kPRest,        // then anything
  // Not patterns: a header line with nothing read yet (blank, if it ends
  // there), and one whose name is being read.
  kPBlank = 0xFE, kPName = 0xFF
};
// Entries of kNameHash: a client looks up none past the accept's.
constexpr uint8_t kHeaderPatterns = kServerCode ? kPNone : kPAccept + 1;
constexpr uint8_t kLists = kPVersion;        // patterns up to this are comma-separated lists

// Lower-case text of each pattern; the token follows Bearer's and token='s,
// the accept value stands alone. A board leaves out the other role's
// texts (on the host both roles run): that role never reads their bits.
// kPatternAt: where each starts, and the end.
// One X(text) per Pattern, in its order.
#define RD_PATTERNS(X)            \
  X("websocket")                  \
  X("upgrade")                    \
  X("robodeck.v1")                \
  X(RD_SERVER_TEXT("13"))         \
  X("") /* the accept value */    \
  X(RD_SERVER_TEXT("bearer "))    \
  X("") /* the key */             \
  X("") /* none */                \
  X(RD_CLIENT_TEXT("http/1.1 101 ")) \
  X(RD_SERVER_TEXT("get"))        \
  X(RD_SERVER_TEXT("token="))     \
  X(RD_SERVER_TEXT("http/1.1"))   \
  X("") /* the rest */
#define RD_PATTERN_TEXT(s) s
const char kPatternText[] PROGMEM = RD_PATTERNS(RD_PATTERN_TEXT);
constexpr uint8_t kStatusLen = sizeof "http/1.1 101 " - 1;
constexpr uint8_t kPatternLen[] = {
#define RD_PATTERN_LEN(s) sizeof s - 1,
    RD_PATTERNS(RD_PATTERN_LEN)
#undef RD_PATTERN_LEN
};
constexpr uint8_t patternAt(uint8_t p) { return p ? (uint8_t)(patternAt((uint8_t)(p - 1)) + kPatternLen[p - 1]) : 0; }
// A client reads none past kPStatus, a relay board keeps none past it.
constexpr uint8_t kPatterns = kServerCode ? kPRest + 1 : kPStatus + 1;
const uint8_t kPatternAt[kPatterns + 1] PROGMEM = {
    patternAt(0), patternAt(1), patternAt(2), patternAt(3), patternAt(4), patternAt(5), patternAt(6),
    patternAt(7), patternAt(8), patternAt(9) RD_SERVER_ONLY(, patternAt(10), patternAt(11), patternAt(12), patternAt(13))};
static_assert(sizeof kPatternLen == kPRest + 1, "a text per pattern");

// A header name's hash: h = h * 3 + (c | 0x20) in 8 bits over its
// characters. Distinct for our seven, and from those of 128 common header
// names (test_handshake.cpp holds them to it).
constexpr uint8_t hashName(const char *s, uint8_t h = 0) {
  return *s ? hashName(s + 1, (uint8_t)(h * 3 + (*s | 0x20))) : h;
}
// Our header names, in Pattern order.
constexpr const char *kHeaderNames[] = {"upgrade",         "connection",           "sec-websocket-protocol",
                                        "sec-websocket-version", "sec-websocket-accept", "authorization",
                                        "sec-websocket-key"};
constexpr bool hashesDistinct(uint8_t i = 0, uint8_t j = 0) {
  return i == kPNone ? true
         : j == i    ? hashName(kHeaderNames[i]) != 0 && hashesDistinct((uint8_t)(i + 1), 0)
                     : hashName(kHeaderNames[i]) != hashName(kHeaderNames[j]) && hashesDistinct(i, (uint8_t)(j + 1));
}
static_assert(hashesDistinct(), "our header names' hashes: distinct, and none 0 (a blank line's)");
const uint8_t kNameHash[kHeaderPatterns] PROGMEM = {
    hashName(kHeaderNames[0]), hashName(kHeaderNames[1]), hashName(kHeaderNames[2]), hashName(kHeaderNames[3]),
    hashName(kHeaderNames[4]), RD_SERVER_ONLY(hashName(kHeaderNames[5]), hashName(kHeaderNames[6]))};

constexpr uint8_t kNoMatch = 0xFF;

// What each pattern, matched whole, adds to seen_ (in Pattern order).
enum Seen : uint8_t {
  kSWebsocket = 1, kSUpgrade = 2, kSProtocol = 4, kSVersion = 8, kSAccept = 16, kSAuthed = 32,
  kSHttp = 64, kSGet = 128, kS101 = kSGet,  // GET for a server, the status line for a client
};
const uint8_t kPatternSeen[kPatterns] PROGMEM = {kSWebsocket, kSUpgrade, kSProtocol, kSVersion, kSAccept, kSAuthed, 0,
                                                 0, kS101 RD_SERVER_ONLY(, kSGet, kSAuthed, kSHttp, 0)};
constexpr uint8_t kClientNeeds = kSWebsocket | kSUpgrade | kSProtocol | kSAccept | kS101;
constexpr uint8_t kServerNeeds = kSWebsocket | kSUpgrade | kSProtocol | kSVersion | kSGet | kSHttp;

// A refusal's end after its status: the empty reason phrase's space and the
// blank line, which the 101 ends with too. No headers: with no Content-Length,
// the close that follows ends it (RFC 7230 3.3.3), which needs no
// "Connection: close" to say so.
const char kRefusalEnd[] PROGMEM = " \r\n\r\n";

// Header lines as "Name:value": the space after the colon is optional (RFC
// 7230 3.2's OWS). It stays before the key and the accept value, where
// the link's tests look for them.
#define RD_REQUEST_TAIL                                                                  \
  "\r\nUpgrade:websocket\r\nConnection:Upgrade\r\nSec-WebSocket-Version:13\r\n"      \
  "Sec-WebSocket-Protocol:robodeck.v1\r\nSec-WebSocket-Key: "

#if !defined(ROBODECK_HOST)
constexpr bool hexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// RFC 3986's unreserved characters, or a %XX escape the user wrote.
constexpr bool urlSafe(const char *s) {
  return !*s || (((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                  *s == '-' || *s == '_' || *s == '.' || *s == '~')
                     ? urlSafe(s + 1)
                     : *s == '%' && hexDigit(s[1]) && hexDigit(s[2]) && urlSafe(s + 3));
}
static_assert(urlSafe(RD_ROBOT_ID), "RD_ROBOT_ID: letters, digits, '-', '_', '.', '~' (others as %XX)");
static_assert(RD_MODE == RD_MODE_DIRECT || urlSafe(RD_TOKEN),
              "RD_TOKEN in relay mode: letters, digits, '-', '_', '.', '~' (others as %XX)");

// A board's request is config.h's constants, so all of it up to the key is
// one text in flash, the port as its macro's digits.
#define RD_STR_(x) #x
#define RD_STR(x) RD_STR_(x)
constexpr bool isNumber(const char *s, uint32_t v, uint32_t want) {
  return *s ? *s >= '0' && *s <= '9' && isNumber(s + 1, v * 10 + (uint32_t)(*s - '0'), want) : v == want;
}
static_assert(RD_MODE == RD_MODE_DIRECT || isNumber(RD_STR(RD_RELAY_PORT), 0, RD_RELAY_PORT),
              "RD_RELAY_PORT: a plain decimal number (it is written into the request as it stands)");
#define RD_REQUEST_HOST " HTTP/1.1\r\nHost:" RD_RELAY_HOST ":" RD_STR(RD_RELAY_PORT) RD_REQUEST_TAIL
const char kRequest[] PROGMEM = "GET /robot/" RD_ROBOT_ID RD_REQUEST_HOST;
const char kRequestToken[] PROGMEM = "GET /robot/" RD_ROBOT_ID "?token=" RD_TOKEN RD_REQUEST_HOST;
#endif

}  // namespace

void WsHandshake::start(bool server) {
#if defined(ROBODECK_HOST)
  server_ = server;  // a board's role is RD_MODE (serverRole())
#endif
  if (serverRole(server)) {
    memset(&status_, 0, (size_t)((uint8_t *)&server_ - (uint8_t *)&status_));  // all the scanner's state
    pat_ = kPGet;
  } else {
    seen_ = at_ = 0, pat_ = kPStatus;  // all a client reads (status_ and pct_ are the server's)
  }
}

RD_NOINLINE void WsHandshake::writeRequest(Out &out, const char *host, uint16_t port, const char *id,
                                           const char *token, const uint8_t nonce[16]) {
  (void)nonce;  // the key's characters are drawn straight from the generator
  start(false);
#if defined(ROBODECK_HOST)
  // The host's id and token come from its command line: percent-encoded here.
  out.putP(PSTR("GET /robot/"));
  out.putUrl(id);
  if (pchar(token, 0)) {
    out.putP(PSTR("?token="));
    out.putUrl(token);
  }
  out.putP(PSTR(" HTTP/1.1\r\nHost:"));
  out.putP(host);
  out.put(':');
  out.putU(port);
  // The key last: it is computed, the rest is one text.
  out.putP(PSTR(RD_REQUEST_TAIL));
#else
  (void)host, (void)port, (void)id, (void)token;  // config.h's, in the text
  out.putP(sizeof RD_TOKEN > 1 ? kRequestToken : kRequest);
#endif
  Sha1 &sha1 = sha();
  sha1.begin();
  for (uint8_t i = 0; i < kWsKeyChars; i++) {
    // 16 random bytes in base64: 21 characters of 6 bits, one of 2 (A, Q, g or w), "==".
    char c = i < 22 ? base64Digit((uint8_t)(random16() & (i < 21 ? 63 : 48))) : '=';
    out.put(c);
    sha1.put(i, (uint8_t)c);
  }
  sha1.endAccept();  // hashed by hashStep() before the response is fed
  out.putP(PSTR("\r\n\r\n"));
}

void WsHandshake::expectRequest(const char *token) {
  start(true);
  token_ = token;
  sha().begin();
  if (!pchar(token, 0)) seen_ = kSAuthed;
}

void WsHandshake::writeResponse(Out &out) const {
  if (status_ != 101) return writeRefusal(out, status());
  // No reason phrase: it may be empty (RFC 7230 3.1.2), and clients go by the code.
  out.putP(PSTR("HTTP/1.1 101 \r\nUpgrade:websocket\r\nConnection:Upgrade\r\n"
                "Sec-WebSocket-Protocol:robodeck.v1\r\nSec-WebSocket-Accept: "));
  for (uint8_t i = 0; i < kWsAcceptChars; i++) out.put(sha().acceptAt(i));
  out.putP(kRefusalEnd + sizeof kRefusalEnd - 5);  // its "\r\n\r\n"
}

void WsHandshake::writeRefusal(Out &out, uint16_t status) {
  // No reason phrase (as in the 101), no headers, no body: ended by the close
  // that follows (RFC 7230 3.3.3), so neither Content-Length nor Connection.
  out.putP(PSTR("HTTP/1.1 "));
  out.putU(status);
  out.putP(kRefusalEnd);
}

uint16_t WsHandshake::clientStatus() const { return seen_ & kS101 ? 101 : 0; }

WsHandshake::Result WsHandshake::feed(uint8_t c) {
  if (c == '\r') return kMore;
  if (c == '\n') return lineEnd();
  if (pat_ >= kPBlank) {
    if (c != ':') {
      pat_ = kPName;
      at_ = (uint8_t)(at_ * 3 + (c | 0x20));  // in a name, at_ is its hash
      return kMore;
    }
    uint8_t p = 0;
    while (p < kHeaderPatterns && pgm_read_byte(&kNameHash[p]) != at_) p++;
    // The other role's headers need no filter: a server's accept, a client's
    // key or bearer only set bits that role never asks for.
    pat_ = p, at_ = 0;
  } else if (pat_ >= kPStatus) {
    field(c);
  } else if (serverRole(server_) && pat_ == kPKey) {
    // Hashed as it comes; a longer key is refused: its 25th character, stored, says so.
    if (c != ' ' && sha().added() <= kWsKeyChars) sha().add(c);
  } else if (c == ',' && pat_ <= kLists) {
    element();
  } else {
    match((char)c);
  }
  return kMore;
}

// A character of the first line. A server's, "GET <target> HTTP/1.1", is
// split into fields at spaces; a client's is matched against the pattern
// "HTTP/1.1 101 " as far as it goes, and proven at the line's end.
void WsHandshake::field(uint8_t c) {
  if (!serverRole(server_)) {
    // Matched up to its end only: what follows, the reason phrase, is not read.
    if (at_ < kStatusLen) match((char)c);
    return;
  }
  if (c == ' ') {
    element();
    if (pat_ < kPRest) pat_++;  // the next field's pattern
    return;
  }
  if (pat_ == kPToken) {
    // The target's query: '?' and '&' separate parameters, values are percent-encoded.
    if (c == '?' || c == '&') return element();
    if (c == '+') c = ' ';
    if (pct_) {  // an escape's digit: pct_ is 1 after the '%', 0x1X after its first digit X
      uint8_t v = (uint8_t)(c - '0');
      if (v >= 10) {
        v = (uint8_t)((v | 0x20) - ('a' - '0'));  // 'A' - '0' | 0x20 is 'a' - '0'
        if (v >= 6) at_ = kNoMatch;
        v = (uint8_t)(v + 10);
      }
      // The 1 shifted out at the second digit; shifted as a byte, not an int
      // (which an AVR multiplies). A bad digit's value is not masked: the
      // match is dead then, and pct_ stays nonzero to the escape's end.
      uint8_t x = (uint8_t)(pct_ << 4);
      x = (uint8_t)(x | v);
      if (pct_ < 0x10) {
        pct_ = x;
        return;
      }
      pct_ = 0, c = x;
    } else if (c == '%') {
      pct_ = 1;
      return;
    }
  }
  match((char)c);
}

// A character of the current field or list element, or its end: was the
// pattern then matched whole? The fixed text matches in any case; the
// accept value and the token must match exactly.
void WsHandshake::match(char c, bool end) {
  uint8_t pos = at_;
  if (pos != kNoMatch) {
    // Character `pos` of the pattern (0 past its end): its text, then what is computed.
#if defined(pgm_read_word)  // this pattern's start and the next's, in one read (little-endian cores)
    uint16_t ends = pgm_read_word(&kPatternAt[pat_]);
    uint8_t at = (uint8_t)ends, n = (uint8_t)((ends >> 8) - at);
#else
    uint8_t at = kPatternAt[pat_], n = (uint8_t)(kPatternAt[pat_ + 1] - at);
#endif
    bool fold = pos < n;
    char w;
    if (fold) {
      w = pchar(kPatternText + at, pos);
    } else {
      pos = (uint8_t)(pos - n);
      if (!serverRole(server_))
        w = pat_ == kPAccept && pos < kWsAcceptChars ? sha().acceptAt(pos) : 0;
      else
        w = pat_ == kPBearer || pat_ == kPToken ? pchar(token_, pos) : 0;
    }
    if (!end) {
      if (w && (c == w || (fold && (c | 0x20) == w))) {
        at_++;
      }
      else if (c != ' ' || (at_ && w)) at_ = kNoMatch;  // spaces may lead or trail a value
      return;
    }
    if (!w) seen_ |= pgm_read_byte(&kPatternSeen[pat_]);
  }
  if (end) {
    at_ = 0;
    if (serverRole(server_)) pct_ = 0;  // the request target's escapes
  }
}

WsHandshake::Result WsHandshake::lineEnd() {
  // The first line's fields are judged with the headers', at the blank line.
  if (pat_ == kPBlank) return end();  // a header line where nothing came
  if (pat_ < kPBlank) element();        // else a line with no colon: skipped
  at_ = 0, pat_ = kPBlank;              // (element() zeroes at_ too, but a name's hash is there)
  return kMore;
}

WsHandshake::Result WsHandshake::end() {
  if (!serverRole(server_)) return (seen_ & kClientNeeds) == kClientNeeds ? kDone : kFail;
  bool upgrade = (seen_ & kServerNeeds) == kServerNeeds && sha().added() == kWsKeyChars;
  static_assert(400 >> 8 == 1 && 401 >> 8 == 1, "a refusal's status is 256 + status_");
  status_ = !upgrade ? (uint8_t)400 : !(seen_ & kSAuthed) ? (uint8_t)401 : 101;
  if (status_ != 101) return kFail;
  sha().endAccept();  // hashed by hashStep() before the 101 is written
  return kDone;
}

}  // namespace rd
