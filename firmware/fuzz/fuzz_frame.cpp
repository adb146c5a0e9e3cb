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
  rd::RxCount cap = (rd::RxCount)(16 + data[0] % 240);  // small buffers find the edges
  rd::WsDecoder d;
  d.reset(data[0] & 1);
  for (size_t i = 1; i < size; i++) {
    rd::WsDecoder::Event e = d.feed(data[i], buf, cap);
    if (e == rd::WsDecoder::kNone) continue;
    if (e == rd::WsDecoder::kError || e == rd::WsDecoder::kTooBig) break;
    if (d.data(buf) < buf || d.data(buf) + d.size() > buf + cap) abort();
    if (e == rd::WsDecoder::kMessage) {
      if (d.data(buf) != buf || d.messageSize() != d.size()) abort();  // what the link hands the robot
      rd::Command c;
      rd::parseCommand(d.data(buf), d.size(), 1000, c);
    }
  }
  return 0;
}
