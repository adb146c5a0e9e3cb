// libFuzzer target: the message parser. Besides memory errors and UB, an
// accepted command must be inside the protocol's ranges, and the `err`
// for a refused one must come out the same both times it is written (the
// link counts a message, then sends it).
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "msg_parse.h"
#include "msg_write.h"

static void count(void *ctx, const uint8_t *, uint16_t len) { *static_cast<uint32_t *>(ctx) += len; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  rd::Command c;
  rd::ParseResult r = rd::parseCommand(data, (uint16_t)size, 1000, c);
  if (!r) {
    uint8_t chunk[16];
    uint32_t first = 0, second = 0;
    rd::Out counter(chunk, sizeof chunk, count, &first);
    rd::writeParseError(counter, &r);
    counter.flush();
    rd::Out out(chunk, sizeof chunk, count, &second);
    rd::writeParseError(out, &r);
    out.flush();
    if (first != second) abort();
    return 0;
  }
  const int32_t *v = c.v;
  switch (r.type()) {
    case rd::Msg::kDrive:
      if (v[rd::fL] < -100 || v[rd::fL] > 100 || v[rd::fR] < -100 || v[rd::fR] > 100 || v[rd::fSeq] < 0)
        abort();
      break;
    case rd::Msg::kStop:
      if (v[rd::fSeq] < 0) abort();
      break;
    case rd::Msg::kPing:
      if (v[rd::fId] < 0) abort();
      break;
    case rd::Msg::kCfg:
      if ((c.at[rd::fRate] && (v[rd::fRate] < 1 || v[rd::fRate] > 1000)) ||
          (c.at[rd::fTimeout] && (v[rd::fTimeout] < 50 || v[rd::fTimeout] > 10000)))
        abort();
      break;
    case rd::Msg::kPong:
    case rd::Msg::kErr:
      break;
  }
  return 0;
}
