// Client and server over real TCP sockets, with Arduino's value semantics:
// a client object is a handle that may be copied; stop() closes it.
#pragma once

#include "Client.h"

class HostClient : public Client {
 public:
  HostClient() = default;
  explicit HostClient(int fd) : fd_(fd) {}
  int connect(const char *host, uint16_t port) override;
  size_t write(const uint8_t *buf, size_t size) override;
  int available() override;
  int availableForWrite() override;
  int read(uint8_t *buf, size_t size) override;
  void stop() override;
  uint8_t connected() override;
  operator bool() override { return fd_ >= 0; }

 private:
  int fd_ = -1;
  bool eof_ = false;
};

/** Wait up to `timeoutMs` for any socket of the robot to become readable. */
void hostWaitIo(int timeoutMs);
/** Where netListen() binds, set from --listen before robotSetup(). */
void hostSetListenAddress(const char *host);
/** Time (micros) when the robot last took bytes from the network. */
uint32_t hostLastReadUs();
/** Time (micros) when hostWaitIo() last woke up for arriving data. */
uint32_t hostLastWakeUs();
