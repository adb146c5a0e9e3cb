// The opening handshake both ways (RFC 6455 section 4), and the accept value.
#include <doctest/doctest.h>

#include <ctype.h>
#include <string.h>

#include <string>
#include <utility>

#include "rd_random.h"
#include "text_out.h"
#include "ws_accept.h"
#include "ws_handshake.h"

using rd::WsHandshake;

namespace {

void append(void *ctx, const uint8_t *data, uint16_t len) {
  static_cast<std::string *>(ctx)->append((const char *)data, len);
}

struct Written {
  std::string text;
  uint8_t chunk[16];
  rd::Out out{chunk, sizeof chunk, append, &text};
};

// The link still hands writeRequest() a nonce; the key's characters come
// straight from the generator instead.
const uint8_t kNonce[16] = {0};

WsHandshake::Result feed(WsHandshake &h, const std::string &in) {
  WsHandshake::Result r = WsHandshake::kMore;
  for (char c : in) {
    r = h.feed((uint8_t)c);
    if (r != WsHandshake::kMore) break;
  }
  return r;
}

// Steps to the accept value's hash: its first block's 80 rounds, a step that
// sets up the second (the length alone), its rounds, and one that finds it done.
constexpr int kAcceptSteps = 2 * 80 / rd::kSha1RoundsPerStep + 2;

/** Steps the accept value's SHA-1 to its end, as the link does once per poll; how many steps. */
int hashAll(WsHandshake &h) {
  int steps = 1;
  while (!h.hashStep()) REQUIRE(++steps < 100);
  return steps;
}

// The client's key is random: a response's accept value is put in for it
// ("@accept@"), or changed ("@wrong@": its last character, "@upper@": in
// the other case, "@short@": one character less).
const char *kGoodResponse =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: @accept@\r\n"
    "Sec-WebSocket-Protocol: robodeck.v1\r\n"
    "\r\n";

/** The upgrade request `h` writes as a client. */
std::string request(WsHandshake &h, const char *host = "h", uint16_t port = 1, const char *id = "r",
                    const char *token = "") {
  Written w;
  h.writeRequest(w.out, host, port, id, token, kNonce);
  w.out.flush();
  return w.text;
}

/** The request's key: the 24 characters before its closing blank line. */
std::string keyOf(const std::string &request) {
  REQUIRE(request.size() > 47);
  REQUIRE(request.compare(request.size() - 47, 19, "Sec-WebSocket-Key: ") == 0);
  REQUIRE(request.compare(request.size() - 4, 4, "\r\n\r\n") == 0);
  return request.substr(request.size() - 28, 24);
}

std::string fill(std::string response, const std::string &key) {
  char accept[29];
  rd::wsAccept(key.c_str(), accept);
  std::string a = accept, wrong = a, upper = a;
  wrong[26] = wrong[26] == 'A' ? 'B' : 'A';
  for (char &ch : upper) ch = (char)(isalpha((unsigned char)ch) ? ch ^ 0x20 : ch);
  const std::pair<const char *, std::string> marks[] = {
      {"@accept@", a}, {"@wrong@", wrong}, {"@upper@", upper}, {"@short@", a.substr(0, 27)}};
  for (const auto &m : marks)
    for (size_t at; (at = response.find(m.first)) != std::string::npos;)
      response.replace(at, strlen(m.first), m.second);
  return response;
}

std::string replace(std::string s, const std::string &from, const std::string &to) {
  size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

// Header names the scanner does not look for, from browsers, proxies and
// servers. Ours are known by an 8-bit hash of the name: none of these may
// hash like one of ours, or it could count as a second Sec-WebSocket-Key
// (400) or prove a header that never came.
const char *const kOtherHeaders[] = {
    "accept", "accept-ch", "accept-charset", "accept-datetime", "accept-encoding", "accept-language",
    "accept-ranges", "access-control-allow-credentials", "access-control-allow-headers",
    "access-control-allow-methods", "access-control-allow-origin", "access-control-expose-headers",
    "access-control-max-age", "access-control-request-headers", "access-control-request-method", "age",
    "allow", "alt-svc", "cache-control", "cf-connecting-ip", "cf-ray", "content-disposition",
    "content-encoding", "content-language", "content-length", "content-location", "content-md5",
    "content-range", "content-security-policy", "content-transfer-encoding", "content-type", "cookie",
    "cross-origin-embedder-policy", "cross-origin-opener-policy", "cross-origin-resource-policy", "date",
    "device-memory", "dnt", "downlink", "early-data", "ect", "etag", "expect", "expires", "feature-policy",
    "forwarded", "from", "front-end-https", "host", "if-match", "if-modified-since", "if-none-match",
    "if-range", "if-unmodified-since", "keep-alive", "last-modified", "link", "location", "max-forwards",
    "mime-version", "nel", "origin", "p3p", "permissions-policy", "pragma", "priority", "proxy-authenticate",
    "proxy-authorization", "proxy-connection", "public-key-pins", "range", "referer", "referrer-policy",
    "refresh", "report-to", "retry-after", "rtt", "save-data", "sec-ch-ua", "sec-ch-ua-mobile",
    "sec-ch-ua-platform", "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-user", "sec-gpc",
    "sec-websocket-extensions", "server", "server-timing", "set-cookie", "status",
    "strict-transport-security", "te", "timing-allow-origin", "trailer", "transfer-encoding",
    "upgrade-insecure-requests", "user-agent", "vary", "via", "viewport-width", "warning", "width",
    "www-authenticate", "x-amzn-trace-id", "x-att-deviceid", "x-cache", "x-content-type-options",
    "x-correlation-id", "x-csrf-token", "x-dns-prefetch-control", "x-forwarded-for", "x-forwarded-host",
    "x-forwarded-port", "x-forwarded-proto", "x-forwarded-server", "x-frame-options",
    "x-http-method-override", "x-powered-by", "x-real-ip", "x-request-id", "x-requested-with", "x-robots-tag",
    "x-served-by", "x-ua-compatible", "x-uidh", "x-wap-profile", "x-xss-protection",
};

/** `text` with a line "<name>: <value>" before its blank line for every name in kOtherHeaders. */
std::string withOtherHeaders(std::string text, const std::string &value) {
  std::string lines;
  for (const char *name : kOtherHeaders) lines += std::string(name) + ": " + value + "\r\n";
  return replace(text, "\r\n\r\n", "\r\n" + lines + "\r\n");
}

const char *kGoodRequest =
    "GET /?token=s%20cret HTTP/1.1\r\n"
    "Host: robot:8765\r\n"
    "Upgrade: websocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: chat, robodeck.v1\r\n"
    "\r\n";

}  // namespace

TEST_CASE("accept value of the RFC example") {
  char out[29];
  rd::wsAccept("dGhlIHNhbXBsZSBub25jZQ==", out);
  CHECK(std::string(out) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("accept value of the RFC example, a bounded piece per step") {
  rd::Sha1 sha;
  sha.begin();
  for (char c : std::string("dGhlIHNhbXBsZSBub25jZQ==")) sha.add((uint8_t)c);
  sha.endAccept();
  int steps = 1;
  while (!sha.step()) REQUIRE(++steps <= kAcceptSteps);
  CHECK(steps == kAcceptSteps);
  CHECK(sha.step());  // and stays done
  char b64[29];
  rd::base64(sha.digest(), 20, b64);
  CHECK(std::string(b64) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("accept values of other keys, stepped and whole") {
  // From Python's hashlib: base64(sha1(key + GUID)). The accept value is all
  // the SHA-1 hashes (60 bytes, one padding layout); keys with every kind of
  // base64 character.
  const struct {
    const char *key, *accept;
  } cases[] = {
      {"AAAAAAAAAAAAAAAAAAAAAA==", "ICX+Yqv66kxgM0FcWaLWlFLwTAI="},
      {"/////////////////////w==", "XXpj4jYzLM2yUE0C7TIgMwTQh2g="},
      {"x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="},
      {"+/0123456789abcdefghiQ==", "ph/6oOI4mrWLzDCmVy425/WOv/A="},
  };
  for (const auto &c : cases) {
    CAPTURE(c.key);
    char out[29];
    rd::wsAccept(c.key, out);
    CHECK(std::string(out) == c.accept);
    rd::Sha1 sha;  // and a step at a time, as the link hashes it
    sha.begin();
    for (int i = 0; i < 24; i++) sha.add((uint8_t)c.key[i]);
    sha.endAccept();
    int steps = 1;
    while (!sha.step()) REQUIRE(++steps <= kAcceptSteps);
    char b64[29];
    rd::base64(sha.digest(), 20, b64);
    CHECK(std::string(b64) == c.accept);
  }
}

TEST_CASE("SHA-1 with nothing to hash is done at once") {
  rd::Sha1 sha;
  sha.begin();
  for (char c : std::string("dGhlIHNhbXBsZSBub25jZQ==")) sha.add((uint8_t)c);  // a refused request's key
  CHECK(sha.step());
}

TEST_CASE("base64 padding") {
  char b64[29];
  const uint8_t two[2] = {'h', 'i'};
  rd::base64(two, 2, b64);
  CHECK(std::string(b64) == "aGk=");
  rd::base64(two, 1, b64);
  CHECK(std::string(b64) == "aA==");
}

TEST_CASE("client: request line, key, subprotocol and token") {
  uint8_t work[WsHandshake::kWorkSize];
  WsHandshake h(work);
  const std::string text = request(h, "relay.local", 8765, "rover-1", "a b&c");
  const std::string key = keyOf(text);
  // No space after a header's colon (RFC 7230 3.2: optional) but the key's.
  CHECK(text ==
        "GET /robot/rover-1?token=a%20b%26c HTTP/1.1\r\n"
        "Host:relay.local:8765\r\n"
        "Upgrade:websocket\r\n"
        "Connection:Upgrade\r\n"
        "Sec-WebSocket-Version:13\r\n"
        "Sec-WebSocket-Protocol:robodeck.v1\r\n"
        "Sec-WebSocket-Key: " + key + "\r\n\r\n");
  const std::string none = request(h);
  CHECK(none.rfind("GET /robot/r HTTP/1.1\r\n", 0) == 0);
  CHECK(keyOf(none) != key);  // a fresh key for each request
}

TEST_CASE("client: the key is 16 random bytes in base64") {
  // 4.1: a nonce of 16 bytes, base64-encoded: 21 characters of 6 bits, one
  // of 2 (A, Q, g or w: its low 4 bits are 0), then "==". Every character
  // of the alphabet turns up in the first 21 places over enough keys.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string seen(64, '-');
  for (int n = 0; n < 200; n++) {
    uint8_t work[WsHandshake::kWorkSize];
    WsHandshake h(work);
    const std::string key = keyOf(request(h));
    CAPTURE(key);
    for (int i = 0; i < 21; i++) {
      size_t d = alphabet.find(key[i]);
      REQUIRE(d != std::string::npos);
      seen[d] = key[i];
    }
    CHECK(std::string("AQgw").find(key[21]) != std::string::npos);
    CHECK(key.substr(22) == "==");
  }
  CHECK(seen == alphabet);
}

TEST_CASE("random bytes: two from each value, every byte drawn, none past n") {
  // The link's masks: 4 bytes. Each place takes many values over many draws.
  uint8_t lo[4] = {255, 255, 255, 255}, hi[4] = {0, 0, 0, 0};
  for (int n = 0; n < 200; n++) {
    uint8_t buf[6] = {0, 0, 0, 0, 0xA5, 0xA5};
    rd::randomBytes(buf, 4);
    CHECK(buf[4] == 0xA5);
    CHECK(buf[5] == 0xA5);
    for (int i = 0; i < 4; i++) {
      if (buf[i] < lo[i]) lo[i] = buf[i];
      if (buf[i] > hi[i]) hi[i] = buf[i];
    }
  }
  for (int i = 0; i < 4; i++) {
    CAPTURE(i);
    CHECK(hi[i] - lo[i] > 200);
  }
}

TEST_CASE("client: the server's response is checked") {
  struct Case {
    const char *name;
    std::string response;
    WsHandshake::Result result;
    uint16_t status;
  };
  const std::string good = kGoodResponse;
  const Case cases[] = {
      {"good", good, WsHandshake::kDone, 101},
      {"headers in any case", replace(replace(good, "Upgrade: websocket", "UPGRADE: WebSocket"),
                                      "Connection: Upgrade", "connection: keep-alive, upgrade"),
       WsHandshake::kDone, 101},
      {"extra and long headers", replace(good, "\r\n\r\n", "\r\nX-Long: " + std::string(300, 'x') +
                                                               "\r\nServer: relay\r\n\r\n"),
       WsHandshake::kDone, 101},
      {"wrong accept", replace(good, "@accept@", "@wrong@"), WsHandshake::kFail, 101},
      {"no subprotocol", replace(good, "Sec-WebSocket-Protocol: robodeck.v1\r\n", ""),
       WsHandshake::kFail, 101},
      {"another subprotocol", replace(good, "robodeck.v1", "robodeck.v2"), WsHandshake::kFail, 101},
      {"no upgrade header", replace(good, "Upgrade: websocket\r\n", ""), WsHandshake::kFail, 101},
      {"no accept", replace(good, "Sec-WebSocket-Accept: @accept@\r\n", ""),
       WsHandshake::kFail, 101},
      // A client reads no status but 101: status() says 101 once the status
      // line starts "HTTP/1.1 101 ", else 0.
      {"unauthorized", "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n",
       WsHandshake::kFail, 0},
      {"another status with every header", replace(good, "101 Switching Protocols", "200 OK"),
       WsHandshake::kFail, 0},
      {"a status that starts with 101", replace(good, " 101 ", " 1010 "), WsHandshake::kFail, 0},
      {"no status", replace(good, " 101 Switching Protocols", ""), WsHandshake::kFail, 0},
      // The status line is judged with the headers, at the blank line; until
      // then the link's deadline bounds the wait. Lines have no length limit.
      {"not HTTP", "SSH-2.0-OpenSSH\r\n", WsHandshake::kMore, 0},
      {"not HTTP, then a blank line", "SSH-2.0-OpenSSH\r\n\r\n", WsHandshake::kFail, 0},
      {"not HTTP/1.1", replace(good, "HTTP/1.1 101", "HTTP/1.0 101"), WsHandshake::kFail, 0},
      {"status line in another case", replace(good, "HTTP/1.1 101", "http/1.1 101"), WsHandshake::kDone,
       101},
      {"two spaces before the status", replace(good, "HTTP/1.1 101", "HTTP/1.1  101"), WsHandshake::kFail,
       0},
      {"a status line with no reason", replace(good, "101 Switching Protocols", "101 "), WsHandshake::kDone,
       101},
      {"a long status line", replace(good, "Switching Protocols", std::string(300, 'x')),
       WsHandshake::kDone, 101},
      {"values with spaces around them", replace(replace(good, ": websocket", ":   websocket  "),
                                                 "@accept@", "@accept@  "),
       WsHandshake::kDone, 101},
      {"accept in the wrong case", replace(good, "@accept@", "@upper@"), WsHandshake::kFail, 101},
      {"accept with a tail", replace(good, "@accept@", "@accept@x"), WsHandshake::kFail, 101},
      {"accept cut short", replace(good, "@accept@", "@short@"), WsHandshake::kFail, 101},
      {"a line with no colon is skipped", replace(good, "Upgrade: websocket\r\n", "Upgrade: websocket\r\njunk\r\n"),
       WsHandshake::kDone, 101},
      {"a key header from the server is ignored",
       replace(good, "\r\n\r\n", "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
       WsHandshake::kDone, 101},
  };
  for (const Case &c : cases) {
    CAPTURE(c.name);
    uint8_t work[WsHandshake::kWorkSize];
    WsHandshake h(work);
    const std::string key = keyOf(request(h));
    hashAll(h);
    CHECK(feed(h, fill(c.response, key)) == c.result);
    CHECK(h.status() == c.status);
  }
}

TEST_CASE("server: requests are answered with 101, 400 or 401") {
  struct Case {
    const char *name;
    std::string request;
    const char *token;
    uint16_t status;
  };
  const std::string good = kGoodRequest;
  const Case cases[] = {
      {"good, token in the query", good, "s cret", 101},
      {"no token needed", replace(good, "?token=s%20cret", ""), "", 101},
      {"token as bearer", replace(replace(good, "?token=s%20cret", "?x=1"), "\r\n\r\n",
                                  "\r\nAuthorization: Bearer s cret\r\n\r\n"),
       "s cret", 101},
      {"token after another parameter", replace(good, "?token=", "?name=op&token="), "s cret",
       101},
      {"wrong token", good, "secret", 401},
      {"missing token", replace(good, "?token=s%20cret", ""), "s cret", 401},
      {"token prefix only", good, "s cretX", 401},
      {"no subprotocol", replace(good, "Sec-WebSocket-Protocol: chat, robodeck.v1\r\n", ""), "",
       400},
      // The subprotocol is judged with the upgrade, before the token.
      {"no subprotocol, wrong token", replace(good, "Sec-WebSocket-Protocol: chat, robodeck.v1\r\n", ""),
       "secret", 400},
      {"no key", replace(good, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), "", 400},
      {"short key", replace(good, "dGhlIHNhbXBsZSBub25jZQ==", "abc"), "", 400},
      {"version 8", replace(good, "Version: 13", "Version: 8"), "", 400},
      {"not an upgrade", replace(good, "Upgrade: websocket\r\n", ""), "", 400},
      {"POST", replace(good, "GET ", "POST "), "", 400},
      {"HTTP/1.0", replace(good, "HTTP/1.1", "HTTP/1.0"), "", 400},
      {"token in a bad escape", replace(good, "%20", "%2g"), "s cret", 401},
      {"token escaped in upper and lower case", replace(good, "s%20cret", "%73%20c%72e%74"), "s cret",
       101},
      {"token as '+' for a space", replace(good, "%20", "+"), "s cret", 101},
      {"bearer in another case", replace(replace(good, "?token=s%20cret", ""), "\r\n\r\n",
                                         "\r\nAuthorization: bEARER s cret\r\n\r\n"),
       "s cret", 101},
      {"bearer with the wrong token", replace(replace(good, "?token=s%20cret", ""), "\r\n\r\n",
                                              "\r\nAuthorization: Bearer s cre\r\n\r\n"),
       "s cret", 401},
      {"long key", replace(good, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ==A"), "", 400},
      {"two keys", replace(good, "\r\n\r\n", "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
       "", 400},
      {"a long request line", replace(good, "/?token", "/" + std::string(300, 'x') + "?token"),
       "s cret", 101},
      {"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", "", 400},
  };
  for (const Case &c : cases) {
    CAPTURE(c.name);
    uint8_t work[WsHandshake::kWorkSize];
    WsHandshake h(work);
    h.expectRequest(c.token);
    WsHandshake::Result r = feed(h, c.request);
    CHECK(r == (c.status == 101 ? WsHandshake::kDone : WsHandshake::kFail));
    CHECK(h.status() == c.status);
    CHECK(hashAll(h) == (r == WsHandshake::kDone ? kAcceptSteps : 1));  // a refusal has nothing to hash
    Written w;
    h.writeResponse(w.out);
    w.out.flush();
    if (c.status == 101) {
      CHECK(w.text ==
            "HTTP/1.1 101 \r\nUpgrade:websocket\r\nConnection:Upgrade\r\n"
            "Sec-WebSocket-Protocol:robodeck.v1\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    } else {
      CHECK(w.text == "HTTP/1.1 " + std::to_string(c.status) + " \r\n\r\n");  // the close ends it
    }
  }
}

TEST_CASE("other headers, named in any case, are not taken for ours") {
  struct Case {
    const char *name, *value;  // one of ours, and a value that proves it
  };
  const std::string good = kGoodRequest;
  // Server: ours removed, the others with the value that would prove it.
  const Case server[] = {{"Upgrade: websocket\r\n", "websocket"},
                         {"Connection: keep-alive, Upgrade\r\n", "upgrade"},
                         {"Sec-WebSocket-Version: 13\r\n", "13"},
                         {"Sec-WebSocket-Protocol: chat, robodeck.v1\r\n", "robodeck.v1"},
                         {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "dGhlIHNhbXBsZSBub25jZQ=="}};
  for (const Case &c : server) {
    CAPTURE(c.name);
    uint8_t work[WsHandshake::kWorkSize];
    WsHandshake h(work);
    h.expectRequest("");
    CHECK(feed(h, withOtherHeaders(replace(good, c.name, ""), c.value)) == WsHandshake::kFail);
    CHECK(h.status() == 400);
  }
  {
    // A token only as the others' bearer: 401; a key among the others: not a second one.
    uint8_t work[WsHandshake::kWorkSize];
    WsHandshake h(work);
    h.expectRequest("s cret");
    CHECK(feed(h, withOtherHeaders(replace(good, "?token=s%20cret", ""), "Bearer s cret")) == WsHandshake::kFail);
    CHECK(h.status() == 401);
    for (bool upper : {false, true}) {
      CAPTURE(upper);
      std::string text = withOtherHeaders(good, "dGhlIHNhbXBsZSBub25jZQ==");
      if (upper)  // every name in upper case (the key too: another key, as long)
        for (char &ch : text) ch = (char)toupper((unsigned char)ch);
      h.expectRequest("");
      CHECK(feed(h, text) == WsHandshake::kDone);
      CHECK(h.status() == 101);
    }
  }
  // Client: each of ours removed from the response, the others proving nothing.
  const char *client[][2] = {{"Upgrade: websocket\r\n", "websocket"},
                             {"Connection: Upgrade\r\n", "Upgrade"},
                             {"Sec-WebSocket-Protocol: robodeck.v1\r\n", "robodeck.v1"},
                             {"Sec-WebSocket-Accept: @accept@\r\n", "@accept@"}};
  for (const auto &c : client) {
    CAPTURE(c[0]);
    uint8_t work[WsHandshake::kWorkSize];
    WsHandshake h(work);
    const std::string key = keyOf(request(h));
    hashAll(h);
    CHECK(feed(h, fill(withOtherHeaders(replace(kGoodResponse, c[0], ""), c[1]), key)) == WsHandshake::kFail);
  }
  {
    uint8_t work[WsHandshake::kWorkSize];
    WsHandshake h(work);
    const std::string key = keyOf(request(h));
    hashAll(h);
    CHECK(feed(h, fill(withOtherHeaders(kGoodResponse, "x"), key)) == WsHandshake::kDone);
  }
}
