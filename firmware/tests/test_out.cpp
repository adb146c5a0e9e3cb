// Out: the chunked byte sink every message and handshake is written through.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "text_out.h"

namespace {

/** What the sink was handed, one string per call. */
void collect(void *ctx, const uint8_t *data, uint16_t len) {
  static_cast<std::vector<std::string> *>(ctx)->push_back(std::string((const char *)data, len));
}

template <typename F>
std::string written(F write) {
  std::vector<std::string> calls;
  uint8_t chunk[7];
  rd::Out out(chunk, sizeof chunk, collect, &calls);
  write(out);
  out.flush();
  std::string s;
  for (const std::string &c : calls) s += c;
  return s;
}

}  // namespace

TEST_CASE("Out: numbers and URL encoding") {
  CHECK(written([](rd::Out &o) { o.putU(2147483648u); }) == "2147483648");
  CHECK(written([](rd::Out &o) { o.putU(10); }) == "10");
  CHECK(written([](rd::Out &o) { o.putU(0); }) == "0");
  CHECK(written([](rd::Out &o) { o.putU(4294967295u); }) == "4294967295");
  CHECK(written([](rd::Out &o) { o.putUrl("a-b_c.d~e f/?&%"); }) == "a-b_c.d~e%20f%2F%3F%26%25");
  CHECK(written([](rd::Out &o) { o.putP("abc"); }) == "abc");
}

TEST_CASE("Out: a full chunk goes to the sink before the next byte; flush hands over the rest, even nothing") {
  struct Case {
    size_t len;
    std::vector<size_t> calls;  // the length handed over by each call
  };
  const Case cases[] = {
      {0, {0}}, {1, {1}}, {4, {4}}, {5, {4, 1}}, {8, {4, 4}}, {9, {4, 4, 1}},
  };
  for (const Case &k : cases) {
    CAPTURE(k.len);
    std::vector<std::string> calls;
    uint8_t chunk[4];
    rd::Out out(chunk, sizeof chunk, collect, &calls);
    std::string text;
    for (size_t i = 0; i < k.len; i++) text += (char)('a' + i), out.put((char)('a' + i));
    CHECK(calls.size() == k.calls.size() - 1);  // the last part waits for flush()
    CHECK(out.flush() == chunk);  // where the next byte goes
    REQUIRE(calls.size() == k.calls.size());
    std::string joined;
    for (size_t i = 0; i < calls.size(); i++) {
      CHECK(calls[i].size() == k.calls[i]);
      joined += calls[i];
    }
    CHECK(joined == text);
  }
}
