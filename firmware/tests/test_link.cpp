// WsLink against a scripted peer on a fake clock: handshake, control
// frames, keepalive, silence, close and oversize.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bytes.h"
#include "fake_client.h"
#include "ws_accept.h"
#include "ws_frame.h"
#include "ws_link.h"

using rd::WsLink;

namespace {

struct Frame {
  uint8_t opcode;
  std::string payload;
};

/** Decodes what the robot wrote, as the peer would (masked when the robot is a client). */
std::vector<Frame> frames(const std::string &wire, bool robotIsClient) {
  static uint8_t buf[4096];
  rd::WsDecoder d;
  d.reset(robotIsClient);
  std::vector<Frame> out;
  for (char c : wire) {
    rd::WsDecoder::Event e = d.feed((uint8_t)c, buf, sizeof buf);
    REQUIRE((e != rd::WsDecoder::kError && e != rd::WsDecoder::kTooBig));
    if (e == rd::WsDecoder::kNone) continue;
    // Each event as the opcode of the frame that made it; kMessage is a text message here.
    uint8_t op = e == rd::WsDecoder::kMessage ? rd::kOpText
                 : e == rd::WsDecoder::kPing  ? rd::kOpPing
                 : e == rd::WsDecoder::kPong  ? rd::kOpPong
                                              : rd::kOpClose;
    out.push_back({op, std::string((const char *)d.data(buf), d.size())});
  }
  return out;
}

std::string serverFrame(uint8_t first, const std::string &payload) {
  Bytes b = frame(first, payload);
  return std::string(b.begin(), b.end());
}

/** One frame as the robot wrote it: its first byte, its masking key ("" if none), the payload unmasked. */
struct Raw {
  uint8_t first;
  std::string key, payload;
};

/** Splits what the robot wrote into frames, checking that every length is in the 7-bit form. */
std::vector<Raw> rawFrames(const std::string &wire) {
  std::vector<Raw> out;
  for (size_t at = 0; at < wire.size();) {
    REQUIRE(wire.size() - at >= 2);
    Raw r{(uint8_t)wire[at], "", ""};
    uint8_t len = (uint8_t)wire[at + 1] & 0x7F;
    REQUIRE(len < 126);
    at += 2;
    if (wire[at - 1] & 0x80) r.key = wire.substr(at, 4), at += 4;
    REQUIRE(wire.size() - at >= len);
    r.payload = wire.substr(at, len), at += len;
    for (size_t i = 0; i < r.key.size() && i < len; i++)
      for (size_t j = i; j < len; j += 4) r.payload[j] = (char)(r.payload[j] ^ r.key[i]);
    out.push_back(r);
  }
  return out;
}

/** Key of the robot's request, and the server's 101 for it. */
std::string acceptFor(const std::string &request) {
  size_t at = request.find("Sec-WebSocket-Key: ") + 19;
  char accept[29];
  rd::wsAccept(request.c_str() + at, accept);
  return std::string("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Protocol: robodeck.v1\r\n"
                     "Sec-WebSocket-Accept: ") + accept + "\r\n\r\n";
}

/** Polls at `now` through the accept value's hashing, a bounded piece per poll: the first other result. */
WsLink::Event pollPast(WsLink &link, uint32_t now) {
  int polls = 0;
  WsLink::Event e;
  while ((e = link.poll(now)) == WsLink::kNone && link.state() == WsLink::kHashing) REQUIRE(++polls < 100);
  return e;
}

/** A client link that is open at t = 0 ms. */
struct OpenClient {
  FakeClient c;
  uint8_t rx[WsLink::kBufferSize];
  WsLink link{rx, c};
  OpenClient() {
    link.startClient(0, "relay", 8765, "rover", "");
    c.in = acceptFor(c.out);
    c.out.clear();
    REQUIRE(pollPast(link, 0) == WsLink::kOpened);
  }
};

void writeHi(rd::Out &out, const void *) { out.putP("hi"); }

/** Writes the std::string `ctx`. */
void writeString(rd::Out &out, const void *ctx) {
  for (char c : *static_cast<const std::string *>(ctx)) out.put(c);
}

std::string letters(size_t n) {
  std::string s(n, 'x');
  for (size_t i = 0; i < n; i++) s[i] = (char)('a' + i % 26);
  return s;
}

/** The app's upgrade request (RFC 6455 1.3 key) for `target`. */
std::string request(const char *target) {
  return std::string("GET ") + target +
         " HTTP/1.1\r\nHost: r\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Protocol: robodeck.v1\r\n\r\n";
}

}  // namespace

TEST_CASE("client: opens, receives a message, sends masked frames with fresh keys") {
  OpenClient t;
  t.c.in = serverFrame(0x81, R"({"t":"ping","id":1})");
  REQUIRE(t.link.poll(1) == WsLink::kMessage);
  CHECK(std::string((const char *)t.link.data(), t.link.size()) == R"({"t":"ping","id":1})");
  CHECK(t.link.sendText(writeHi, nullptr));
  CHECK(t.link.sendText(writeHi, nullptr));
  std::vector<Frame> sent = frames(t.c.out, true);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].payload == "hi");
  CHECK(t.c.out.substr(2, 4) != t.c.out.substr(10, 4));  // a new masking key per frame
}

TEST_CASE("a message that does not fit the send buffer is dropped whole, not waited for") {
  OpenClient t;
  t.c.room = 3;  // the peer stopped reading
  CHECK(t.link.sendText(writeHi, nullptr));
  CHECK(t.c.out.empty());
  t.c.room = 8;  // 2 header + 4 mask + 2 payload: fits exactly
  CHECK(t.link.sendText(writeHi, nullptr));
  CHECK(frames(t.c.out, true).size() == 1);
  CHECK(t.link.open());
  // Three frames: the room for all of them with their headers, or nothing.
  const std::string long_ = letters(2 * WsLink::kFrameChunk + 10);
  t.c.out.clear();
  t.c.room = (int)long_.size() + 3 * 6 - 1;
  CHECK(t.link.sendText(writeString, &long_));
  CHECK(t.c.out.empty());
  t.c.room++;
  CHECK(t.link.sendText(writeString, &long_));
  CHECK(t.c.out.size() == long_.size() + 3 * 6);
  // A server's headers are 2 bytes, but the room asked for is the same.
  FakeClient c;
  uint8_t rx[WsLink::kBufferSize];
  WsLink server(rx, c);
  server.startServer(0, "");
  c.in = request("/");
  REQUIRE(pollPast(server, 0) == WsLink::kOpened);
  c.out.clear();
  c.room = (int)long_.size() + 3 * 6 - 1;
  CHECK(server.sendText(writeString, &long_));
  CHECK(c.out.empty());
  c.room++;
  CHECK(server.sendText(writeString, &long_));
  CHECK(c.out.size() == long_.size() + 3 * 2);
}

TEST_CASE("a control frame goes out only if the largest one would fit") {
  OpenClient t;
  t.c.room = 125 + 6 - 1;
  t.c.in = serverFrame(0x89, "p");
  CHECK(t.link.poll(1) == WsLink::kNone);
  CHECK(t.c.out.empty());  // not answered: a peer that stopped reading
  t.c.room = 125 + 6;
  t.c.in = serverFrame(0x89, "p");
  CHECK(t.link.poll(2) == WsLink::kNone);
  std::vector<Frame> sent = frames(t.c.out, true);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].opcode == rd::kOpPong);
}

TEST_CASE("a message longer than a chunk goes out fragmented, a fresh key per frame") {
  const size_t chunk = WsLink::kFrameChunk;
  struct Case {
    size_t len;
    std::vector<uint8_t> firsts;  // each frame's FIN and opcode
  };
  const Case cases[] = {
      {0, {0x81}},
      {1, {0x81}},
      {chunk, {0x81}},
      {chunk + 1, {0x01, 0x80}},
      {2 * chunk, {0x01, 0x80}},  // no empty last frame
      {2 * chunk + 10, {0x01, 0x00, 0x80}},
  };
  for (bool server : {false, true}) {
    for (const Case &k : cases) {
      CAPTURE(server);
      CAPTURE(k.len);
      const std::string message = letters(k.len);
      FakeClient c;
      uint8_t rx[WsLink::kBufferSize];
      WsLink link(rx, c);
      if (server) {
        link.startServer(0, "");
        c.in = request("/");
      } else {
        link.startClient(0, "relay", 8765, "rover", "");
        c.in = acceptFor(c.out);
      }
      REQUIRE(pollPast(link, 0) == WsLink::kOpened);
      c.out.clear();
      CHECK(link.sendText(writeString, &message));
      std::vector<Raw> raw = rawFrames(c.out);
      REQUIRE(raw.size() == k.firsts.size());
      std::string joined;
      for (size_t i = 0; i < raw.size(); i++) {
        CHECK(raw[i].first == k.firsts[i]);
        CHECK(raw[i].key.size() == (server ? 0u : 4u));  // 5.1: only a client masks
        CHECK(raw[i].payload.size() == (i + 1 < raw.size() ? chunk : k.len - i * chunk));
        if (i) CHECK((server || raw[i].key != raw[i - 1].key));  // 5.3: a fresh key per frame
        joined += raw[i].payload;
      }
      CHECK(joined == message);
      // An independent decoder takes it as one message.
      std::vector<Frame> sent = frames(c.out, !server);
      REQUIRE(sent.size() == 1);
      CHECK(sent[0].payload == message);
    }
  }
}

TEST_CASE("control frames are never fragmented, whatever the chunk") {
  OpenClient t;
  const std::string payload = letters(125);
  t.c.in = serverFrame(0x89, payload);
  CHECK(t.link.poll(1) == WsLink::kNone);
  std::vector<Raw> raw = rawFrames(t.c.out);
  REQUIRE(raw.size() == 1);
  CHECK(raw[0].first == 0x8A);
  CHECK(raw[0].payload == payload);
}

TEST_CASE("a failed write: nothing more is written, and the next poll reports kDown") {
  OpenClient t;
  t.c.refuseWrites = true;
  const std::string long_ = letters(3 * WsLink::kFrameChunk);
  CHECK_FALSE(t.link.sendText(writeString, &long_));
  CHECK(t.link.state() == WsLink::kFailed);
  CHECK_FALSE(t.link.open());
  t.c.refuseWrites = false;
  CHECK_FALSE(t.link.sendText(writeHi, nullptr));  // not open any more
  t.c.in = serverFrame(0x89, "ping");  // not read, nor answered
  CHECK(t.link.poll(1) == WsLink::kDown);
  CHECK(t.c.out.empty());
  CHECK(t.c.stopped);
}

TEST_CASE("client: a refused handshake ends in kDown") {
  FakeClient c;
  uint8_t rx[WsLink::kBufferSize];
  WsLink link(rx, c);
  link.startClient(0, "relay", 8765, "rover", "bad");
  c.in = "HTTP/1.1 401 Unauthorized\r\n\r\n";
  CHECK(pollPast(link, 0) == WsLink::kDown);
  CHECK(c.stopped);
}

TEST_CASE("client: a server that never answers the handshake times out") {
  FakeClient c;
  uint8_t rx[WsLink::kBufferSize];
  WsLink link(rx, c);
  link.startClient(0, "relay", 8765, "rover", "");
  c.in = "HTTP/1.1 101 Switching";  // and then nothing
  CHECK(link.poll(10) == WsLink::kNone);
  CHECK(link.poll(rd::kHandshakeMs) == WsLink::kNone);
  CHECK(link.poll(rd::kHandshakeMs + 1) == WsLink::kDown);
}

TEST_CASE("ping is answered with the same payload, pong is swallowed") {
  OpenClient t;
  t.c.in = serverFrame(0x89, "abcd") + serverFrame(0x8A, "x");
  CHECK(t.link.poll(1) == WsLink::kNone);
  std::vector<Frame> sent = frames(t.c.out, true);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].opcode == rd::kOpPong);
  CHECK(sent[0].payload == "abcd");
}

TEST_CASE("keepalive: a quiet link is pinged, a silent one is dropped") {
  OpenClient t;
  CHECK(t.link.poll(rd::kPingIdleMs - 1) == WsLink::kNone);
  CHECK(t.c.out.empty());
  CHECK(t.link.poll(rd::kPingIdleMs) == WsLink::kNone);
  std::vector<Frame> sent = frames(t.c.out, true);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].opcode == rd::kOpPing);
  // The peer answers: the link lives on past the timeout.
  t.c.in = serverFrame(0x8A, "");
  CHECK(t.link.poll(rd::kPingIdleMs + 10) == WsLink::kNone);
  CHECK(t.link.poll(rd::kLinkTimeoutMs + 1) == WsLink::kNone);
  // Then nothing more comes, not even a pong: dropped after the timeout.
  uint32_t last = rd::kPingIdleMs + 10;
  CHECK(t.link.poll(last + rd::kLinkTimeoutMs) == WsLink::kNone);
  CHECK(t.link.poll(last + rd::kLinkTimeoutMs + 1) == WsLink::kDown);
  CHECK(t.c.stopped);
}

TEST_CASE("keepalive: one ping per silence, then the timeout") {
  OpenClient t;
  CHECK(t.link.poll(rd::kPingIdleMs) == WsLink::kNone);
  CHECK(t.link.poll(2 * rd::kPingIdleMs) == WsLink::kNone);
  CHECK(frames(t.c.out, true).size() == 1);  // over TCP a ping is answered, or nothing is
  CHECK(t.link.poll(rd::kLinkTimeoutMs + 1) == WsLink::kDown);
}

TEST_CASE("close from the peer is echoed, then the link is down") {
  OpenClient t;
  t.c.in = serverFrame(0x88, std::string("\x03\xe9", 2));
  CHECK(t.link.poll(1) == WsLink::kDown);
  std::vector<Frame> sent = frames(t.c.out, true);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].opcode == rd::kOpClose);
  CHECK(sent[0].payload == std::string("\x03\xe9", 2));
}

TEST_CASE("a close is echoed as it came: with its reason, or empty without a code") {
  for (const std::string &payload : {std::string("\x0f\xa0" "bye", 5), std::string()}) {
    OpenClient t;
    t.c.in = serverFrame(0x88, payload);
    CHECK(t.link.poll(1) == WsLink::kDown);
    std::vector<Frame> sent = frames(t.c.out, true);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].opcode == rd::kOpClose);
    CHECK(sent[0].payload == payload);
  }
}

TEST_CASE("an oversized frame gets err too_big and close 1009") {
  OpenClient t;
  t.c.in = serverFrame(0x81, std::string(rd::kRxBuffer + 1, 'x'));
  CHECK(t.link.poll(1) == WsLink::kDown);
  std::vector<Frame> sent = frames(t.c.out, true);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].payload.find("\"code\":\"too_big\"") != std::string::npos);
  CHECK(sent[1].opcode == rd::kOpClose);
  CHECK(sent[1].payload == std::string("\x03\xf1", 2));
}

TEST_CASE("a protocol error closes with 1002") {
  OpenClient t;
  t.c.in = std::string("\x83\x00", 2);  // reserved opcode
  CHECK(t.link.poll(1) == WsLink::kDown);
  std::vector<Frame> sent = frames(t.c.out, true);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].payload == std::string("\x03\xea", 2));
}

TEST_CASE("a peer that hangs up is noticed") {
  OpenClient t;
  t.c.open = false;
  CHECK(t.link.poll(1) == WsLink::kDown);
}

TEST_CASE("our close goes out with its code, and the next poll reports kDown") {
  // The robot never closes a link itself; close() does not wait for the peer's answer.
  OpenClient t;
  t.link.close(rd::kClosePolicy);
  CHECK(t.link.state() == WsLink::kFailed);
  CHECK_FALSE(t.link.open());
  CHECK_FALSE(t.link.sendText(writeHi, nullptr));  // nothing after our close
  std::vector<Frame> sent = frames(t.c.out, true);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].opcode == rd::kOpClose);
  CHECK(sent[0].payload == std::string("\x03\xf0", 2));
  t.c.in = serverFrame(0x88, std::string("\x03\xf0", 2));  // not read
  CHECK(t.link.poll(20) == WsLink::kDown);
  CHECK(t.c.stopped);
  CHECK(frames(t.c.out, true).size() == 1);
  OpenClient u;  // on a link that is not open, nothing
  u.c.open = false;
  REQUIRE(u.link.poll(1) == WsLink::kDown);
  u.c.out.clear();
  u.link.close(rd::kCloseNormal);
  CHECK(u.c.out.empty());
  CHECK(u.link.state() == WsLink::kIdle);
}

TEST_CASE("server: answers the upgrade and reads masked frames") {
  FakeClient c;
  uint8_t rx[WsLink::kBufferSize];
  WsLink link(rx, c);
  link.startServer(0, "");
  c.in = request("/") + "\x81\x82\x01\x02\x03\x04" "\x6a\x6b";  // "ki" masked
  CHECK(pollPast(link, 0) == WsLink::kOpened);
  CHECK(c.out.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos);
  CHECK(link.poll(1) == WsLink::kMessage);
  CHECK(std::string((const char *)link.data(), link.size()) == "ki");
  c.out.clear();
  link.sendText(writeHi, nullptr);
  CHECK(c.out == "\x81\x02hi");  // server frames are not masked
}

TEST_CASE("server: a bad token is refused with 401 and the link stays down") {
  FakeClient c;
  uint8_t rx[WsLink::kBufferSize];
  WsLink link(rx, c);
  link.startServer(0, "secret");
  c.in = request("/?token=guess");
  CHECK(link.poll(0) == WsLink::kNone);  // the request is read; answered in the next poll,
  CHECK(c.out.empty());
  CHECK(link.poll(0) == WsLink::kDown);  // at once: a refusal needs no hash
  CHECK(c.out.rfind("HTTP/1.1 401 \r\n", 0) == 0);  // no reason phrase
  CHECK(c.stopped);
}

TEST_CASE("the accept value is hashed a bounded piece per poll, both ways") {
  // Server: the request is read, then nothing is written and nothing more
  // read until the hash is done; then the 101 and the open link.
  FakeClient c;
  uint8_t rx[WsLink::kBufferSize];
  WsLink link(rx, c);
  link.startServer(0, "");
  const std::string frame = "\x81\x82\x01\x02\x03\x04" "\x6a\x6b";
  c.in = request("/") + frame;
  CHECK(link.poll(0) == WsLink::kNone);
  CHECK(link.state() == WsLink::kHashing);
  int polls = 0;
  WsLink::Event e;
  while ((e = link.poll(1)) == WsLink::kNone) {
    CHECK(c.out.empty());
    REQUIRE(++polls < 100);
  }
  CHECK(e == WsLink::kOpened);
  CHECK(polls > 10);  // two blocks of 80 rounds, kSha1RoundsPerStep at a time
  CHECK(c.out.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  CHECK(link.poll(2) == WsLink::kMessage);  // the frame that came with the request was kept
  // Client: the response waits unread until the hash is done.
  FakeClient d;
  WsLink client(rx, d);
  client.startClient(0, "relay", 8765, "rover", "");
  std::string response = acceptFor(d.out);
  d.in = response;
  CHECK(client.state() == WsLink::kHashing);
  CHECK(client.poll(0) == WsLink::kNone);
  CHECK(d.in == response);
  CHECK(pollPast(client, 0) == WsLink::kOpened);
}

TEST_CASE("a handshake whose hashing outlasts its deadline times out") {
  FakeClient c;
  uint8_t rx[WsLink::kBufferSize];
  WsLink link(rx, c);
  link.startClient(0, "relay", 8765, "rover", "");
  CHECK(link.poll(rd::kHandshakeMs) == WsLink::kNone);
  CHECK(link.poll(rd::kHandshakeMs + 1) == WsLink::kDown);
  CHECK(c.stopped);
}
