// platform.h for the size probe: the null network, no log.
#include <Arduino.h>

#include "net_client.h"
#include "rd_random.h"

volatile uint8_t probeWire;

namespace rd {

void platformBegin() { seedRandom((uint32_t)analogRead(A0) << 16 ^ micros()); }
void platformTick() {}
bool netConnect(NetClient &c, const char *host, uint16_t port) {
  if (c.connect(host, port)) return true;
  c.stop();
  return false;
}
void netListen(uint16_t port) { probeWire = (uint8_t)port; }
bool netAccept(NetClient &out) {
  out = NetClient();
  return probeWire;
}
bool netRoom(NetClient &, uint16_t len) { return probeWire >= len; }
void logLine(const char *, const char *) {}

}  // namespace rd
