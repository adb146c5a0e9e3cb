// A network that is not there, for measuring the firmware's own size.
//
// Every call reads or writes a volatile location, so the compiler cannot
// prove that no byte ever arrives and drop our parsers as dead code: the
// size probe then links exactly the code a real board runs, minus the
// Ethernet library, which the baseline does not have either.
#pragma once

#include <Arduino.h>
#include <Client.h>

extern volatile uint8_t probeWire;

class NullClient : public Client {
 public:
  int connect(IPAddress, uint16_t) override { return probeWire; }
  int connect(const char *host, uint16_t port) override { return probeWire + host[0] + port; }
  size_t write(uint8_t b) override { return probeWire = b; }
  size_t write(const uint8_t *buf, size_t size) override {
    for (size_t i = 0; i < size; i++) probeWire = buf[i];
    return size;
  }
  int available() override { return probeWire; }
  int read() override { return probeWire; }
  int read(uint8_t *buf, size_t size) override {
    for (size_t i = 0; i < size; i++) buf[i] = probeWire;
    return (int)size;
  }
  int peek() override { return probeWire; }
  void flush() override {}
  void stop() override { probeWire = 0; }
  uint8_t connected() override { return probeWire; }
  operator bool() override { return probeWire; }
};

#if defined(RD_PROBE_SCRIPTED)
// `make avr-timing` (timing.cpp): a board's link runs over its own
// NetClient, calling that type's functions (ws_link.h), so the scripted
// peer that a handshake is timed against is the NetClient. With no script
// it is the null client above, which robotLoop() is timed over. Its script
// is static (defined in timing.cpp), so a NetClient stays as small as the
// null one (direct mode keeps one on the loop's stack).
class ScriptClient : public NullClient {
 public:
  static const char *in;  // what the peer says: NUL-terminated, in RAM; null: the null network
  static char out[256];   // what it was told: the last 256 bytes
  static uint8_t outAt;
  size_t write(const uint8_t *buf, size_t size) {
    for (size_t i = 0; i < size; i++) out[outAt++] = (char)buf[i];
    return in ? size : NullClient::write(buf, size);
  }
  int read(uint8_t *buf, size_t size) {
    if (!in) return NullClient::read(buf, size);
    size_t n = 0;
    while (n < size && *in) buf[n++] = (uint8_t)*in++;
    return n ? (int)n : -1;
  }
  uint8_t connected() { return in ? 1 : NullClient::connected(); }
  void stop() {
    if (!in) NullClient::stop();
  }
};
#endif
