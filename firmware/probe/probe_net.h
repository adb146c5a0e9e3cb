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

typedef NullClient NetClient;
