// libFuzzer target: the HTTP upgrade scanner, as client and as server.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ws_handshake.h"

static void discard(void *, const uint8_t *, uint16_t) {}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static const uint8_t nonce[16] = {0};
  uint8_t work[rd::WsHandshake::kWorkSize];
  rd::WsHandshake h(work);
  uint8_t chunk[16];
  rd::Out out(chunk, sizeof chunk, discard, nullptr);
  bool server = data[0] & 1;
  if (server) h.expectRequest(data[0] & 2 ? "secret" : "");
  else h.writeRequest(out, "relay", 8765, "rover", "tok", nonce);
  // The accept value's SHA-1, a bounded piece per step as the link runs it.
  int steps = 0;
  if (!server)
    while (!h.hashStep())
      if (++steps > 100) abort();
  for (size_t i = 1; i < size; i++) {
    rd::WsHandshake::Result r = h.feed(data[i]);
    if (r == rd::WsHandshake::kMore) continue;
    if (server) {
      uint16_t s = h.status();
      if (s != 101 && s != 400 && s != 401) abort();
      if (r == rd::WsHandshake::kDone)
        while (!h.hashStep())
          if (++steps > 100) abort();
      h.writeResponse(out);
    }
    break;
  }
  return 0;
}
