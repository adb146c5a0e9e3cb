// The baseline for the full sketch: the Ethernet library with DHCP and a
// trivial TCP app that sends analog readings, as any networked sketch has.
#include <Arduino.h>
#include <Ethernet.h>
#include <SPI.h>

static uint8_t mac[] = {0xDE, 0xAD, 0xBE, 0xEF, 0xFE, 0x01};
EthernetClient client;

void setup() {
  Ethernet.begin(mac);
  client.connect("relay", 8765);
}

void loop() {
  Ethernet.maintain();
  int v = analogRead(A0);
  uint8_t bytes[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  client.write(bytes, 2);
}
