// An Arduino Client whose peer is the test: bytes in, bytes out, no socket.
#pragma once

#include <string>

#include "host_net.h"

// A NetClient (the host's HostClient, a link's type of connection) with
// every call its own: no socket is ever opened.
class FakeClient : public HostClient {
 public:
  std::string in;   // what the peer sent, not yet read
  std::string out;  // what the robot wrote
  bool open = true, stopped = false;
  bool refuseWrites = false;  // the network library cannot send: write() takes nothing
  int room = 1 << 20;  // free space in the send buffer

  int connect(const char *, uint16_t) override { return 1; }
  size_t write(const uint8_t *buf, size_t size) override {
    if (!open || refuseWrites) return 0;
    out.append((const char *)buf, size);
    return size;
  }
  int available() override { return (int)in.size(); }
  int availableForWrite() override { return room; }
  int read(uint8_t *buf, size_t size) override {
    if (in.empty()) return -1;
    size_t n = size < in.size() ? size : in.size();
    in.copy((char *)buf, n);
    in.erase(0, n);
    return (int)n;
  }
  void stop() override { open = false, stopped = true; }
  uint8_t connected() override { return open || !in.empty(); }
  operator bool() override { return open; }
};
