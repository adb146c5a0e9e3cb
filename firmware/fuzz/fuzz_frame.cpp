// libFuzzer target: the frame decoder, in both roles, with the parser on
// every message it completes. Memory errors, UB, or a payload pointing
// outside the buffer are bugs.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "msg_parse.h"
#include "ws_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static uint8_t buf[256];
  uint16_t cap = (uint16_t)(16 + data[0] % 240);  // small buffers find the edges
  rd::WsDecoder d(buf, cap);
  d.reset(data[0] & 1);
  for (size_t i = 1; i < size; i++) {
    rd::WsDecoder::Event e = d.feed(data[i]);
    if (e == rd::WsDecoder::kNone) continue;
    if (e == rd::WsDecoder::kError || e == rd::WsDecoder::kTooBig) break;
    if (d.data() < buf || d.data() + d.size() > buf + cap) abort();
    if (e == rd::WsDecoder::kMessage) {
      rd::Command c;
      rd::parseCommand(d.data(), d.size(), 1000, c);
    }
  }
  return 0;
}
