// The frame decoder (RFC 6455 section 5), table-driven. The robot's own
// frames are written by the link (test_link.cpp checks them with this decoder).
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>

#include "bytes.h"
#include "ws_frame.h"

using rd::WsDecoder;

namespace {

/** What feeding a byte string produced: the events, and the last payload. */
struct Run {
  std::string events;  // one letter per event: M(essage) P(ing) O (pong) C(lose) E(rror)
  std::string payload;
  uint16_t code = 0;
};

Run feed(const Bytes &in, bool server, uint16_t cap = 64) {
  static uint8_t buf[2048];
  WsDecoder d;
  d.reset(server);
  Run r;
  for (uint8_t b : in) {
    WsDecoder::Event e = d.feed(b, buf, (rd::RxCount)cap);
    if (e == WsDecoder::kNone) continue;
    r.events += e == WsDecoder::kMessage ? 'M' : e == WsDecoder::kPing ? 'P' : e == WsDecoder::kPong ? 'O'
                : e == WsDecoder::kClose ? 'C' : e == WsDecoder::kError || e == WsDecoder::kTooBig ? 'E' : '?';
    r.payload.assign((const char *)d.data(buf), d.size());
    if (e == WsDecoder::kMessage) {  // what the link hands the robot: the same bytes, from buf
      CHECK(d.data(buf) == buf);
      CHECK(d.messageSize() == d.size());
    }
    // An error's code is the one to close with; a close's is its payload's first 2 bytes (1005: none).
    r.code = e == WsDecoder::kError ? rd::kCloseProtocol
             : e == WsDecoder::kTooBig ? rd::kCloseTooBig
             : e != WsDecoder::kClose ? 0
             : d.size() ? (uint16_t)(d.data(buf)[0] << 8 | d.data(buf)[1]) : rd::kCloseNoStatus;
    if (e == WsDecoder::kError || e == WsDecoder::kTooBig) break;  // the caller stops: the link goes down
  }
  return r;
}

Bytes masked(uint8_t first, const std::string &payload) {
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  return frame(first, payload, key);
}

struct Case {
  const char *name;
  Bytes in;
  bool server;
  const char *events;
  const char *payload;
  uint16_t code;
};

}  // namespace

TEST_CASE("decoder: valid frames, fragments and control frames") {
  const Case cases[] = {
      {"unmasked text from a server", hex("81 02") + text("hi"), false, "M", "hi", 0},
      {"masked text from a client (RFC 5.7 example)", hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"),
       true, "M", "Hello", 0},
      {"empty text", hex("81 00"), false, "M", "", 0},
      {"binary is a message too", hex("82 01 7b"), false, "M", "{", 0},
      {"16-bit length", hex("81 7e 00 03") + text("abc"), false, "M", "abc", 0},
      {"three fragments", hex("01 03") + text("abc") + hex("00 02") + text("de") + hex("80 01") +
                              text("f"),
       false, "M", "abcdef", 0},
      {"ping between fragments", hex("01 02") + text("ab") + hex("89 02") + text("pp") +
                                     hex("80 01") + text("c"),
       false, "PM", "abc", 0},
      {"masked fragments", masked(0x01, "ab") + masked(0x89, "x") + masked(0x80, "cd"), true,
       "PM", "abcd", 0},
      {"ping", hex("89 04") + text("ping"), false, "P", "ping", 0},
      {"pong", hex("8a 00"), false, "O", "", 0},
      {"close with code", hex("88 02 03 e8"), false, "C", "\x03\xe8", 1000},
      {"close with code and reason", hex("88 04 03 e9") + text("by"), false, "C", "\x03\xe9" "by",
       1001},
      {"close without code", hex("88 00"), false, "C", "", 1005},
      {"close with an application code", hex("88 02 0f a0"), false, "C", "\x0f\xa0", 4000},
      {"two messages back to back", hex("81 01") + text("a") + hex("81 01") + text("b"), false,
       "MM", "b", 0},
  };
  for (const Case &c : cases) {
    CAPTURE(c.name);
    Run r = feed(c.in, c.server);
    CHECK(r.events == c.events);
    if (c.code) CHECK(r.code == c.code);
    else CHECK(r.payload == c.payload);
  }
}

TEST_CASE("decoder: protocol errors close with 1002, oversize with 1009") {
  const Case cases[] = {
      {"RSV1 set", hex("c1 01") + text("a"), false, "E", "", 1002},
      {"RSV3 set", hex("91 01") + text("a"), false, "E", "", 1002},
      {"opcode 3", hex("83 00"), false, "E", "", 1002},
      {"opcode 7", hex("87 00"), false, "E", "", 1002},
      {"opcode 0xB", hex("8b 00"), false, "E", "", 1002},
      {"opcode 0xF", hex("8f 00"), false, "E", "", 1002},
      {"continuation with nothing to continue", hex("80 01") + text("a"), false, "E", "", 1002},
      {"new message inside a fragmented one", hex("01 01") + text("a") + hex("81 01") + text("b"),
       false, "E", "", 1002},
      {"fragmented ping", hex("09 00"), false, "E", "", 1002},
      {"control frame longer than 125", hex("89 7e 00 7e"), false, "E", "", 1002},
      {"unmasked frame from a client", hex("81 01") + text("a"), true, "E", "", 1002},
      {"masked frame from a server", hex("81 81 00 00 00 00 61"), false, "E", "", 1002},
      {"close with a 1-byte payload", hex("88 01 03"), false, "E", "", 1002},
      {"close code 999", hex("88 02 03 e7"), false, "E", "", 1002},
      {"close code 1005 on the wire", hex("88 02 03 ed"), false, "E", "", 1002},
      {"close code 1016", hex("88 02 03 f8"), false, "E", "", 1002},
      {"frame over the buffer", hex("81 7e 00 41"), false, "E", "", 1009},
      {"huge 64-bit length", hex("81 7f 00 00 00 01 00 00 00 00"), false, "E", "", 1009},
      // A 64-bit length is only minimal (5.2) past 65535: refused at its second byte, unread.
      {"64-bit length of a short frame", hex("81 7f"), false, "E", "", 1009},
      {"64-bit length with the top bit", hex("81 7f 80 00 00 00 00 00 00 00"), false, "E", "",
       1009},
      {"64-bit length on a control frame", hex("89 7f"), false, "E", "", 1009},
      {"length of 65536: no 16-bit wrap", hex("81 7f 00 00 00 00 00 01 00 00"), false, "E", "",
       1009},
      {"16-bit length of 65535", hex("81 7e ff ff"), false, "E", "", 1009},
      {"fragments over the buffer", hex("01 30") + Bytes(48, 'a') + hex("80 20") + Bytes(32, 'b'),
       false, "E", "", 1009},
      {"ping that does not fit after a fragment", hex("01 3e") + Bytes(62, 'a') + hex("89 04") +
                                                     text("pppp"),
       false, "E", "", 1009},
  };
  for (const Case &c : cases) {
    CAPTURE(c.name);
    Run r = feed(c.in, c.server);
    CHECK(r.events == c.events);
    CHECK(r.code == c.code);
  }
}

TEST_CASE("decoder: after an error the caller stops feeding; reset() starts afresh") {
  // The decoder keeps no failed state: the link closes and goes down at an error,
  // and feeds nothing more until the next link's reset().
  Run r = feed(hex("c1 01") + text("a") + hex("81 01") + text("b"), false);
  CHECK(r.events == "E");
  static uint8_t buf[64];
  WsDecoder d;
  for (bool server : {false, true}) {
    d.reset(server);
    Bytes bad = hex("81 fe 00 01");  // masked from a server, or a 16-bit length for a short frame
    WsDecoder::Event e = WsDecoder::kNone;
    for (uint8_t b : bad) {
      e = d.feed(b, buf, sizeof buf);
      if (e != WsDecoder::kNone) break;
    }
    CHECK((e == WsDecoder::kError || e == WsDecoder::kTooBig || server));
    d.reset(server);
    Bytes ok = server ? masked(0x81, "ok") : frame(0x81, "ok");
    std::string events;
    for (uint8_t b : ok) {
      e = d.feed(b, buf, sizeof buf);
      if (e != WsDecoder::kNone) events += e == WsDecoder::kMessage ? 'M' : '?';
    }
    CHECK(events == "M");
    CHECK(std::string((const char *)d.data(buf), d.size()) == "ok");
  }
}

TEST_CASE("the test's frame writer matches RFC 6455's examples") {
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  CHECK(masked(0x81, "Hello") == hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));  // 5.7
  CHECK(frame(0x81, "Hello") == hex("81 05 48 65 6c 6c 6f"));
  CHECK(frame(0x82, std::string(256, 'x')).size() == 4 + 256);  // 16-bit length
  CHECK(frame(0x82, std::string(256, 'x'))[1] == 126);
  CHECK(frame(0x8a, "", key) == hex("8a 80 37 fa 21 3d"));
}

TEST_CASE("decoder: lengths across the 7- and 16-bit forms, masked and not") {
  for (bool server : {false, true}) {
    for (uint16_t len : {0, 1, 125, 126, 1000}) {
      CAPTURE(len);
      std::string payload(len, 'x');
      for (uint16_t i = 0; i < len; i++) payload[i] = (char)('a' + i % 26);
      Run r = feed(server ? masked(0x81, payload) : frame(0x81, payload), server, 1024);
      CHECK(r.events == "M");
      CHECK(r.payload == payload);
    }
  }
}
