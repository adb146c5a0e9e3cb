// platform.h for real boards: Ethernet shield (Uno, Mega) or WiFi (ESP).
#if !defined(ROBODECK_HOST) && !defined(ROBODECK_PROBE)

#include "net_client.h"

#include <Arduino.h>

#include "rd_config.h"
#include "rd_random.h"

#if !defined(ESP32) && !defined(ESP8266)
#include <SPI.h>
#endif

namespace rd {

namespace {

#if defined(ESP32) || defined(ESP8266)
WiFiServer *server = nullptr;
#else
EthernetServer *server = nullptr;
uint32_t lastMaintain = 0;
#endif

uint32_t gatherEntropy() {
  // The low bits of a floating ADC input and the timing around it.
  uint32_t e = 0;
  for (uint8_t i = 0; i < 32; i++) e = (e << 1 | (e >> 31)) ^ (uint32_t)analogRead(A0) ^ micros();
  return e;
}

}  // namespace

void logLine(const char *msg, const char *detail) {
#if RD_SERIAL_LOG
  Serial.print(millis());
  Serial.print(F(" "));
  Serial.print(reinterpret_cast<const __FlashStringHelper *>(msg));
  if (detail) Serial.print(reinterpret_cast<const __FlashStringHelper *>(detail));
  Serial.println();
#else
  (void)msg, (void)detail;
#endif
}

void platformBegin() {
#if RD_SERIAL_LOG
  Serial.begin(115200);
#endif
  if (!kDirectMode) seedRandom(gatherEntropy());  // a direct-mode board draws no random numbers
#if defined(ESP32) || defined(ESP8266)
  WiFi.mode(WIFI_STA);
  WiFi.setAutoReconnect(true);
  WiFi.begin(RD_WIFI_SSID, RD_WIFI_PASSWORD);  // joins in the background
#else
  static uint8_t mac[] = {RD_MAC};
#if RD_USE_DHCP
  // Bounded: 10 s for the lease, 2 s per reply; retried by maintain().
  if (!Ethernet.begin(mac, 10000, 2000)) logLine(PSTR("dhcp failed"));
#else
  Ethernet.begin(mac, IPAddress(RD_STATIC_IP));
#endif
#endif
}

void platformTick() {
#if !defined(ESP32) && !defined(ESP8266) && RD_USE_DHCP
  uint32_t now = millis();
  if (now - lastMaintain >= 1000) {  // renews or rebinds the lease when due
    lastMaintain = now;
    Ethernet.maintain();
  }
#endif
}

#if defined(ESP32) && RD_RELAY_TLS
namespace {

/** Connect over TLS and check the relay's certificate before anything is sent. */
bool tlsConnect(NetClient &c, const char *host, uint16_t port) {
#if defined(RD_RELAY_CA_PEM)
  c.setCACert(RD_RELAY_CA_PEM);  // chain and host name checked in the handshake
  return c.connect(host, port) == 1;
#else
  // Only a pin: the handshake may not check a chain, so the certificate is
  // compared with the pinned SHA-256 fingerprint at once, and the
  // connection is dropped before the token is written if it differs.
  c.setInsecure();
  if (c.connect(host, port) != 1) return false;
  if (c.verify(RD_RELAY_FINGERPRINT, nullptr)) return true;
  logLine(PSTR("tls: relay certificate does not match RD_RELAY_FINGERPRINT"));
  c.stop();
  return false;
#endif
}

}  // namespace
#endif

bool netConnect(NetClient &c, const char *host, uint16_t port) {
#if defined(ESP32) || defined(ESP8266)
  if (WiFi.status() != WL_CONNECTED) return false;
  c.setNoDelay(true);
#endif
#if defined(ESP32) && RD_RELAY_TLS
  if (tlsConnect(c, host, port)) return true;
#else
  if (c.connect(host, port) == 1) return true;
#endif
  c.stop();
  return false;
}

void netListen(uint16_t port) {
#if defined(ESP32) || defined(ESP8266)
  static WiFiServer s(port);
  s.begin();
  s.setNoDelay(true);
#else
  static EthernetServer s(port);
  s.begin();
#endif
  server = &s;
}

bool netRoom(NetClient &c, uint16_t len) {
#if defined(ESP32) || defined(ESP8266)
  (void)c, (void)len;
  return true;  // the WiFi stacks buffer and time out on their own
#else
  return c.availableForWrite() >= (int)len;  // free space in the W5x00 socket buffer
#endif
}

bool netAccept(NetClient &out) {
  if (!server) return false;
  out = server->accept();  // only new connections, unlike available()
  return (bool)out;
}

}  // namespace rd

#endif  // !ROBODECK_HOST && !ROBODECK_PROBE
