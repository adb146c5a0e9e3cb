// What differs between boards: network, watchdog, log, entropy (the board's
// name for hello is RD_BOARD_NAME, rd_config.h).
//
// One implementation per target: platform.cpp (Ethernet shield on AVR,
// WiFi on ESP32/ESP8266), firmware/host/ (POSIX sockets) and
// firmware/probe/ (a null network, for measuring our own size). The robot
// itself only sees these functions and the NetClient type.
#pragma once

#include <stdint.h>

#include "rd_config.h"

// The network's client class. Where it can be, only its name: the robot
// holds a reference to one and calls the functions below, so robot.cpp
// does not include the network library (on an AVR every file that includes
// the core's IPAddress.h gets its own INADDR_NONE, built at boot: 16 B of
// flash and 6 of RAM a file). net_client.h defines it, for the files that
// make or call one. The WiFi cores' headers come whole: their client
// classes' names vary between core versions.
#if defined(ROBODECK_HOST)
class HostClient;
typedef HostClient NetClient;
#elif defined(ROBODECK_PROBE) && defined(RD_PROBE_SCRIPTED)
class ScriptClient;
typedef ScriptClient NetClient;
#elif defined(ROBODECK_PROBE)
class NullClient;
typedef NullClient NetClient;
#elif defined(ESP32) && RD_RELAY_TLS
#include <WiFi.h>
#include <WiFiClientSecure.h>
typedef WiFiClientSecure NetClient;  // the relay's certificate is checked in netConnect
#elif defined(ESP32)
#include <WiFi.h>
typedef WiFiClient NetClient;
#elif defined(ESP8266)
#include <ESP8266WiFi.h>
typedef WiFiClient NetClient;
#else
class EthernetClient;
typedef EthernetClient NetClient;
#endif

namespace rd {

/** Boot: watchdog, log, network up (bounded), random seed. */
void platformBegin();
/** Every loop: feed the watchdog, keep the DHCP lease. */
void platformTick();

/** Open a TCP connection; bounded by the network library's connect timeout. A failed one is left closed. */
bool netConnect(NetClient &c, const char *host, uint16_t port);
void netListen(uint16_t port);
/** A connection that arrived since the last call, if any (never one we hold). */
bool netAccept(NetClient &out);
/** Can `len` bytes be written to `c` now without waiting for the peer? */
bool netRoom(NetClient &c, uint16_t len);

/** A status line: a P-string and an optional P-string detail. */
void logLine(const char *msg, const char *detail = nullptr);

}  // namespace rd
