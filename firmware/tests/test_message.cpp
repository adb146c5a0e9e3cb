// Parsing app -> robot messages, and the robot's own messages.
#include <doctest/doctest.h>

#include <string>

#include "msg_parse.h"
#include "msg_write.h"
#include "sampler.h"

using rd::Msg;
using rd::ParseError;

namespace {

/** A Command with the type its ParseResult names, when it parsed. */
struct Parsed : rd::Command {
  Msg type;
};

rd::ParseResult parse(const std::string &s, Parsed &c) {
  rd::ParseResult r = rd::parseCommand((const uint8_t *)s.data(), (uint16_t)s.size(), 1000, c);
  if (r) c.type = r.type();
  return r;
}

/** A literal's bytes, NULs included. */
template <size_t N>
std::string bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

void append(void *ctx, const uint8_t *data, uint16_t len) {
  static_cast<std::string *>(ctx)->append((const char *)data, len);
}

/** Runs a writer twice (the link counts a message, then sends it) and checks that both agree. */
template <typename F>
std::string written(F write) {
  std::string s, again;
  uint8_t chunk[7];
  rd::Out out(chunk, sizeof chunk, append, &s);
  write(out);
  out.flush();
  rd::Out second(chunk, sizeof chunk, append, &again);
  write(second);
  second.flush();
  CHECK(again == s);
  return s;
}

/** The `err` the robot answers a frame with ("" when it is accepted). */
std::string answer(const std::string &frame) {
  Parsed c;
  rd::ParseResult r = parse(frame, c);
  if (r) return "";
  return written([&](rd::Out &o) { rd::writeParseError(o, &r); });
}

}  // namespace

TEST_CASE("valid commands") {
  Parsed c;
  REQUIRE(parse(R"({"t":"drive","l":60,"r":-100,"seq":7})", c));
  CHECK((c.type == Msg::kDrive && c.v[rd::fL] == 60 && c.v[rd::fR] == -100 && c.v[rd::fSeq] == 7));
  REQUIRE(parse(" {\n\"seq\" : 2147483647 ,\t\"t\":\"stop\"}\r\n", c));
  CHECK((c.type == Msg::kStop && c.v[rd::fSeq] == 2147483647));
  CHECK((c.v[rd::fL] == 0 && c.v[rd::fR] == 0));  // a stop's wheels read 0 (the last drive's are gone)
  REQUIRE(parse(R"({"t":"ping","id":0,"extra":[1,{"a":[true,false,null]},"x\"\\\u00e9"]})", c));
  CHECK((c.type == Msg::kPing && c.v[rd::fId] == 0));
  REQUIRE(parse(R"({"t":"cfg","rate":1000})", c));
  CHECK((c.type == Msg::kCfg && c.v[rd::fRate] == 1000 && !c.at[rd::fTimeout]));  // absent: keep
  REQUIRE(parse(R"({"t":"cfg","timeout":50})", c));
  CHECK((!c.at[rd::fRate] && c.at[rd::fTimeout] && c.v[rd::fTimeout] == 50));
  REQUIRE(parse(R"({"t":"cfg"})", c));
  CHECK((!c.at[rd::fRate] && !c.at[rd::fTimeout]));
  REQUIRE(parse(R"({"t":"drive","l":-0,"r":0,"seq":1,"l":5})", c));
  CHECK(c.v[rd::fL] == 5);  // the last duplicate wins, as in the app
  REQUIRE(parse(R"({"t":"cfg","timeout"0,"timeout":70})", c));
  CHECK(c.v[rd::fTimeout] == 70);  // wholly: an out-of-range value does not stay (fuzzer find)
  REQUIRE(parse(R"({"\u0030":"","t":"stop","seq":1,"longer than eight":0})", c));
  CHECK((c.type == Msg::kStop && c.v[rd::fSeq] == 1));  // escaped and long keys are skipped (fuzzer find)
  REQUIRE(parse(R"({"t":"stop","seq":1,"a":{"t":"drive","seq":-5},"b":[{"l":500}]})", c));
  CHECK((c.type == Msg::kStop && c.v[rd::fSeq] == 1));  // nested keys are not ours
  REQUIRE(parse(R"({"t":"stop","seq":3,"n":[],"o":{},"e":-1.5E+3,"s":"timeout"})", c));
  CHECK(c.v[rd::fSeq] == 3);
  REQUIRE(parse(R"({"t":"pong","id":3})", c));
  CHECK(c.type == Msg::kPong);
  REQUIRE(parse(R"({"t":"err","code":"x","msg":"y"})", c));
  CHECK(c.type == Msg::kErr);
}

TEST_CASE("every malformed frame gets the app's error code") {
  struct Case {
    const char *frame;
    ParseError error;
    const char *err;  // the full err frame the robot sends
  };
  const char *badJson = R"({"t":"err","code":"bad_json","msg":"not a JSON object"})";
  const char *badType = R"({"t":"err","code":"bad_type","msg":"t missing or unknown"})";
  const char *seqNotInteger = R"({"t":"err","code":"bad_field","msg":"stop.seq: must be an integer"})";
  const char *ok = "";  // accepted: no err
  const Case cases[] = {
      {"", ParseError::kBadJson, badJson},
      {" \r\n\t", ParseError::kBadJson, badJson},
      {"garbage", ParseError::kBadJson, badJson},
      {"[1,2]", ParseError::kBadJson, badJson},
      {"\"drive\"", ParseError::kBadJson, badJson},
      {"{", ParseError::kBadJson, badJson},
      {"{\"t\":\"drive\"", ParseError::kBadJson, badJson},
      {"{\"t\":\"drive\"}}", ParseError::kBadJson, badJson},
      {"{\"t\":\"stop\",\"seq\":1} x", ParseError::kBadJson, badJson},
      {R"({"t":"\"})", ParseError::kBadJson, badJson},  // the escape takes the closing quote
      {"{\"t\":\"stop\",\"seq\":1,\"a\":\"\\", ParseError::kBadJson, badJson},  // ends in a backslash
      {"{\"a\":\"}\",\"t\":\"stop\",\"seq\":1", ParseError::kBadJson, badJson},  // a brace in a string
      {"{\"a\":[[[[[[[[[[1]]]]]]]]]]}", ParseError::kBadJson, badJson},
      {"{\"a\":[[[[[[[1]]]]]]],\"t\":\"stop\",\"seq\":1}", ParseError::kOk, ok},  // 8 levels
      {"{\"a\":[[[[[[[[1]]]]]]]],\"t\":\"stop\",\"seq\":1}", ParseError::kBadJson, badJson},  // 9
      {"{} {}", ParseError::kBadJson, badJson},
      {"{}", ParseError::kBadType, badType},
      {"{\"t\":null}", ParseError::kBadType, badType},
      {"{\"t\":1}", ParseError::kBadType, badType},
      {"{\"t\":\"fly\"}", ParseError::kBadType, badType},
      {"{\"t\":\"drivex\"}", ParseError::kBadType, badType},
      {"{\"t\":\"driv\"}", ParseError::kBadType, badType},
      {"{\"t\":\"\"}", ParseError::kBadType, badType},
      {"{\"t\":\"DRIVE\"}", ParseError::kBadType, badType},
      {"{\"t\":\"hello\"}", ParseError::kBadType, badType},
      {"{\"t\":\"null\"}", ParseError::kBadType, badType},
      {"{\"t\":\"seq\"}", ParseError::kBadType, badType},
      {"{\"t\":{\"t\":\"stop\"},\"seq\":1}", ParseError::kBadType, badType},
      {"{\"T\":\"stop\",\"seq\":1}", ParseError::kBadType, badType},
      {"{\"tt\":\"stop\",\"seq\":1}", ParseError::kBadType, badType},
      {"{\"\\u0074\":\"stop\",\"seq\":1}", ParseError::kBadType, badType},  // escaped keys are not ours
      {"{\"t\":\"st\\u006fp\",\"seq\":1}", ParseError::kBadType, badType},  // nor escaped type names
      // Looser than the app (docs/firmware.md). Escapes are not checked:
      {"{\"t\":\"\\x\"}", ParseError::kBadType, badType},
      {"{\"t\":\"\\u12g4\"}", ParseError::kBadType, badType},
      {"{\"t\":\"\\\x01\"}", ParseError::kBadType, badType},
      // nor control characters: in strings they are text, outside them white space;
      {"{\"t\":\"dr\nive\"}", ParseError::kBadType, badType},
      {"{\"t\":\"stop\",\x01\"seq\":\x7f" "1}", ParseError::kBadField, seqNotInteger},
      {"\x01{\"t\":\"stop\",\x01\"seq\":\x02" "1\x1f}\x7f", ParseError::kBadJson, badJson},
      {"\x01{\"t\":\"stop\",\x01\"seq\":\x02" "1\x1f}\x05", ParseError::kOk, ok},
      // nor what is between the top level's separators, nor the grammar inside
      // values the robot does not read, nor which bracket closes which:
      {"{\"t\":\"drive\",}", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: missing"})"},
      {"{\"t\" \"drive\"}", ParseError::kBadField,  // the colon after a key is not checked
       R"({"t":"err","code":"bad_field","msg":"drive.l: missing"})"},
      {"{\"seq\" 5,\"t\"::\"stop\"}", ParseError::kOk, ok},
      {"{t:\"drive\"}", ParseError::kBadType, badType},
      {"{\"t\":'drive'}", ParseError::kBadType, badType},
      {"{\"t\":\"stop\" \"x\",\"seq\":1}", ParseError::kBadType, badType},
      {"{\"seq\":1,,\"t\":\"stop\"}", ParseError::kOk, ok},
      {"{[\"t\",\"stop\"],\"seq\":1}", ParseError::kBadType, badType},  // a value with no key
      {"{{\"seq\":1},\"t\":\"stop\"}", ParseError::kBadField,  // a key is at the top level only
       R"({"t":"err","code":"bad_field","msg":"stop.seq: missing"})"},
      {"{[\"t\"] \"t\":\"stop\",\"seq\":1}", ParseError::kOk, ok},  // so the next string there is one
      {"{\"t\":\"stop\",\"seq\":1:2}", ParseError::kBadField, seqNotInteger},
      {"{\"t\":\"stop\",\"seq\":1,\"l\":\"a\":1}", ParseError::kOk, ok},  // a string value is no key
      {"{\"a\":[1 2],\"t\":\"stop\",\"seq\":1}", ParseError::kOk, ok},
      {"{\"a\":[1:2],\"t\":\"stop\",\"seq\":1}", ParseError::kOk, ok},
      {"{\"a\":[1},\"t\":\"stop\",\"seq\":1}", ParseError::kOk, ok},
      {"{\"a\":{\"b\"},\"t\":\"stop\",\"seq\":1}", ParseError::kOk, ok},
      {"{\"a\":{1:2},\"t\":\"stop\",\"seq\":1}", ParseError::kOk, ok},
      {"{\"a\":tru,\"b\":NaN,\"c\":01,\"t\":\"stop\",\"seq\":1}", ParseError::kOk, ok},
      {"{\"t\":\"stop\",\"seq\":1]", ParseError::kOk, ok},
      {"{\"seq\":tru}", ParseError::kBadType, badType},
      {"{\"seq\":NaN}", ParseError::kBadType, badType},
      // Numbers: leading zeros are taken; anything but digits after a sign is no integer.
      {"{\"seq\":01}", ParseError::kBadType, badType},
      {R"({"t":"stop","seq":007})", ParseError::kOk, ok},
      {R"({"t":"stop","seq":-})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":.5})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":1 2})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":--1})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":+1})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":tru})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":nul})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":1.})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":1e})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":1.2.3})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"drive","r":1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: missing"})"},
      {R"({"t":"drive","l":101,"r":1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: out of range"})"},
      {R"({"t":"drive","l":-101,"r":1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: out of range"})"},
      {R"({"t":"drive","l":1,"r":-101,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.r: out of range"})"},
      {R"({"t":"drive","l":1.5,"r":1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: must be an integer"})"},
      {R"({"t":"drive","l":1,"r":1e1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.r: must be an integer"})"},
      {R"({"t":"drive","l":true,"r":1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: must be an integer"})"},
      {R"({"t":"drive","l":"1","r":1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: must be an integer"})"},
      {R"({"t":"drive","l":null,"r":1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: must be an integer"})"},
      {R"({"t":"drive","l":[1],"r":1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: must be an integer"})"},
      {R"({"t":"drive","l":{"a":1},"r":1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: must be an integer"})"},
      {R"({"t":"drive","l":1,"r":1,"seq":-1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.seq: out of range"})"},
      {R"({"t":"drive","l":1,"r":1,"seq":2147483648})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.seq: out of range"})"},
      {R"({"t":"drive","l":1,"r":1,"seq":99999999999999999999})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.seq: out of range"})"},
      // Around 2^28, where the digit loop stops multiplying (msg_parse.cpp).
      {R"({"t":"stop","seq":268435456})", ParseError::kOk, ok},
      {R"({"t":"stop","seq":1999999999})", ParseError::kOk, ok},
      {R"({"t":"stop","seq":2684354559})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"stop.seq: out of range"})"},
      {R"({"t":"stop","seq":3000000000})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"stop.seq: out of range"})"},
      {R"({"t":"stop","seq":-2684354560})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"stop.seq: out of range"})"},
      {R"({"t":"stop","seq":99999999999.5})", ParseError::kBadField, seqNotInteger},
      {R"({"t":"stop","seq":-2147483649})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"stop.seq: out of range"})"},
      {R"({"t":"stop","seq":-2147483648})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"stop.seq: out of range"})"},
      {R"({"t":"stop","seq":-0})", ParseError::kOk, ok},
      {R"({"t":"drive","l":-2147483648,"r":1,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.l: out of range"})"},
      {R"({"t":"drive","l":4294967196,"r":1,"seq":1})", ParseError::kBadField,  // -100 if it wrapped
       R"({"t":"err","code":"bad_field","msg":"drive.l: out of range"})"},
      {R"({"t":"drive","l":1,"r":-42949672960,"seq":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"drive.r: out of range"})"},
      {R"({"t":"stop"})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"stop.seq: missing"})"},
      {R"({"t":"stop","sequence":1})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"stop.seq: missing"})"},
      {R"({"t":"ping","id":-5})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"ping.id: out of range"})"},
      {R"({"t":"ping"})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"ping.id: missing"})"},
      {R"({"t":"cfg","rate":0})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"cfg.rate: out of range"})"},
      {R"({"t":"cfg","rate":1001})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"cfg.rate: out of range"})"},
      {R"({"t":"cfg","timeout":49})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"cfg.timeout: out of range"})"},
      {R"({"t":"cfg","timeout":10001})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"cfg.timeout: out of range"})"},
      {R"({"t":"cfg","timeout":"fast"})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"cfg.timeout: must be an integer"})"},
      {R"({"t":"cfg","rate":[]})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"cfg.rate: must be an integer"})"},
      // null is no integer, in cfg too (the app's decoder takes it as absent; the app never sends it)
      {R"({"t":"cfg","rate":null,"timeout":50})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"cfg.rate: must be an integer"})"},
      {R"({"t":"cfg","rate":5,"timeout":null})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"cfg.timeout: must be an integer"})"},
      {R"({"t":"cfg","rate":5000,"rate":null})", ParseError::kBadField,
       R"({"t":"err","code":"bad_field","msg":"cfg.rate: must be an integer"})"},
  };
  for (const Case &c : cases) {
    std::string frame = c.frame;
    CAPTURE(frame);
    Parsed cmd;
    rd::ParseResult r = parse(c.frame, cmd);
    CHECK(r.error == c.error);
    CHECK(answer(c.frame) == c.err);
  }
}

TEST_CASE("names are matched by length and every byte") {
  Parsed c;
  // A NUL inside a key or a type name is one of its bytes, not its end.
  CHECK(parse(bytes("{\"t\":\"stop\",\"seq\0\":5,\"seq\":1}"), c));
  CHECK(c.v[rd::fSeq] == 1);
  CHECK(parse(bytes("{\"t\":\"stop\",\"seq\":1,\"t\0l\":2}"), c));
  CHECK(c.type == Msg::kStop);
  CHECK(parse(bytes("{\"t\":\"stop\0\",\"seq\":1}"), c).error == ParseError::kBadType);
  CHECK(parse(bytes("{\"t\":\"cfg\",\"rate\":nul\0}"), c).error == ParseError::kBadField);
}

TEST_CASE("a frame's bytes after its length are not read") {
  Parsed c;
  const std::string frame = R"({"t":"stop","seq":12}{"t":)";
  CHECK(rd::parseCommand((const uint8_t *)frame.data(), 21, 1000, c));
  CHECK(c.v[rd::fSeq] == 12);
  CHECK(rd::parseCommand((const uint8_t *)frame.data(), 20, 1000, c).error == ParseError::kBadJson);
  CHECK(rd::parseCommand((const uint8_t *)frame.data(), 19, 1000, c).error == ParseError::kBadJson);
}

TEST_CASE("the rate limit is the robot's own") {
  Parsed c;
  const std::string frame = R"({"t":"cfg","rate":300})";
  CHECK(rd::parseCommand((const uint8_t *)frame.data(), (uint16_t)frame.size(), 200, c).error ==
        ParseError::kBadField);
}

namespace {

// Variables and tables as robot.cpp has them, to write hello, tel and pong.
const char *testId = "rover", *testBoard = "uno";
uint16_t testRate = 50, testTimeout = 500;
rd::Sampler testSampler;
int8_t testLeft = -100, testRight = 7;
uint32_t testAck = 12, testPong = 42;
const void *const kTestHello[] = {
    "hello\",\"proto\":1,\"id\":\"" RD_V_PSTR "\",\"fw\":\"0.1.0\",\"board\":\"" RD_V_PSTR
    "\",\"ch\":[" RD_V_TEXT "],\"rate\":" RD_V_U16 ",\"timeout\":" RD_V_U16 "}",
    &testId, &testBoard, "{\"name\":\"battery\",\"unit\":\"V\",\"mul\":15,\"div\":1023,\"off\":0}",
    &testRate, &testTimeout};
const void *const kTestTel[] = {"tel\",\"seq\":" RD_V_U32 ",\"ms\":" RD_V_U32 ",\"v\":[" RD_V_ROWS
                                "],\"m\":[" RD_V_I8 "," RD_V_I8 "],\"ack\":" RD_V_U32 "}",
                                &testSampler.first_.seq, &testSampler.first_.ms, &testSampler, &testLeft,
                                &testRight, &testAck};
const void *const kTestPong[] = {"pong\",\"id\":" RD_V_U32 "}", &testPong};
const void *const kTestEmpty[] = {"stop\"}"};

}  // namespace

TEST_CASE("hello, tel, pong and err as the app expects them") {
  CHECK(written([&](rd::Out &o) { rd::writeMessage(o, kTestHello); }) ==
        R"({"t":"hello","proto":1,"id":"rover","fw":"0.1.0","board":"uno",)"
        R"("ch":[{"name":"battery","unit":"V","mul":15,"div":1023,"off":0}],"rate":50,"timeout":500})");
  testSampler.start(100, 4294967295u);
  for (uint16_t i = 0; i < 2; i++) {
    uint16_t *row = testSampler.row();
    for (uint8_t c = 0; c < rd::kChannels; c++) row[c] = (uint16_t)(i * 1021 + c);
    testSampler.commit();
  }
  testSampler.first_.seq = 2147483647u;
  std::string rows = "[[0";
  for (uint8_t c = 1; c < rd::kChannels; c++) rows += "," + std::to_string(c);
  rows += "],[1021";
  for (uint8_t c = 1; c < rd::kChannels; c++) rows += "," + std::to_string(1021 + c);
  rows += "]]";
  CHECK(written([&](rd::Out &o) { rd::writeMessage(o, kTestTel); }) ==
        R"({"t":"tel","seq":2147483647,"ms":4294967295,"v":)" + rows + R"(,"m":[-100,7],"ack":12})");
  CHECK(written([](rd::Out &o) { rd::writeMessage(o, kTestPong); }) == R"({"t":"pong","id":42})");
  CHECK(written([](rd::Out &o) { rd::writeMessage(o, kTestEmpty); }) == R"({"t":"stop"})");  // a text with no variables
  CHECK(written([](rd::Out &o) { rd::writeErr(o, "too_big", "frame larger than the robot's buffer"); }) ==
        R"({"t":"err","code":"too_big","msg":"frame larger than the robot's buffer"})");
}
