// RoboDeck firmware configuration: the one file a user edits.
//
// Everything here is a #define so that a build system can override a single
// value with -D (the host build and the size probe do that for RD_MODE).
// After editing, build and upload as docs/firmware.md describes.
#pragma once

#ifdef RD_CONFIG_FILE  // the host build swaps in its own configuration
#include RD_CONFIG_FILE
#else

// ---------------------------------------------------------------- mode
// RD_MODE_RELAY: the robot connects out to robodeck-relay (no known address
//                needed); RD_MODE_DIRECT: the app connects to the robot.
#ifndef RD_MODE
#define RD_MODE RD_MODE_RELAY
#endif

// Relay mode: where the relay runs, and who this robot is.
#define RD_RELAY_HOST "192.168.1.10"   // name or dotted address
#define RD_RELAY_PORT 8765
#define RD_ROBOT_ID "rover"            // letters, digits, '-' and '_'
#define RD_TOKEN ""                    // robot token; "" = none

// wss:// to the relay (ESP32 only; an Uno or Mega cannot do TLS). The robot
// then checks the relay's certificate before it sends its token: against
// RD_RELAY_CA_PEM (the CA that signed it) or RD_RELAY_FINGERPRINT (the
// SHA-256 fingerprint robodeck-relay logs at start, "AB:CD:..."). Turning
// TLS on without either is a build error: the robot never connects unchecked.
#define RD_RELAY_TLS 0
// #define RD_RELAY_CA_PEM "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n"
// #define RD_RELAY_FINGERPRINT "AB:CD:EF:..."

// Direct mode: the port the robot listens on (RD_TOKEN, if set, is required
// from the app as ?token= or "Authorization: Bearer").
#define RD_LISTEN_PORT 8765

// ---------------------------------------------------------------- network
// Ethernet shield (Uno, Mega): MAC address, and DHCP or a static address.
#define RD_MAC 0xDE, 0xAD, 0xBE, 0xEF, 0xFE, 0x01
#define RD_USE_DHCP 1
#define RD_STATIC_IP 192, 168, 1, 177  // used when RD_USE_DHCP is 0
// WiFi (ESP32, ESP8266).
#define RD_WIFI_SSID "my-network"
#define RD_WIFI_PASSWORD "my-password"

// ---------------------------------------------------------------- motors
// Two H-bridge channels (L298N: ENA/IN1/IN2, ENB/IN3/IN4; TB6612: PWMA/
// AIN1/AIN2 ...). The enable pin must be PWM-capable. On an Uno with an
// Ethernet shield, pins 4 and 10-13 are taken by the shield.
#define RD_LEFT_PWM 5
#define RD_LEFT_IN1 7
#define RD_LEFT_IN2 8
#define RD_LEFT_INVERT 0   // 1 if "forward" turns this wheel backwards
#define RD_LEFT_TRIM 100   // percent of full PWM, to match a faster motor
#define RD_RIGHT_PWM 6
#define RD_RIGHT_IN1 2
#define RD_RIGHT_IN2 3
#define RD_RIGHT_INVERT 0
#define RD_RIGHT_TRIM 100

// Motors off when no drive arrived for this long (ms, 50..10000).
#define RD_DRIVE_TIMEOUT_MS 500

// ---------------------------------------------------------------- sensors
// One X(pin, name, unit, mul, div, off) per analog channel; the app shows
// (counts - off) * mul / div in `unit`. Integers only.
#define RD_CHANNELS(X)                    \
  X(A0, "battery", "V", 15, 1023, 0)      \
  X(A1, "light", "%", 100, 1023, 0)

#define RD_SAMPLE_RATE 50      // samples per second at boot (app may change)
#define RD_RATE_MAX 200        // highest rate `cfg` may ask for
#define RD_TEL_PERIOD_MS 100   // a `tel` batch roughly this often
#define RD_BATCH_MAX 20        // samples buffered per batch (RAM: 2 B each per channel)

// ---------------------------------------------------------------- link
#define RD_RX_BUFFER 128       // largest frame accepted; bigger ones close with 1009
#define RD_TX_CHUNK 48         // bytes handed to the network library per write
#define RD_PING_IDLE_MS 1000   // ping the peer after this much silence
#define RD_LINK_TIMEOUT_MS 3000  // drop a link silent for this long
#define RD_HANDSHAKE_MS 3000   // a handshake must finish within this
#define RD_BACKOFF_MAX_MS 4000   // longest wait between reconnect attempts

// ---------------------------------------------------------------- board
#define RD_LED_PIN -1          // status LED, -1 = none (pin 13 is SPI on the shield)
#define RD_SERIAL_LOG 0        // 1: status lines on Serial at 115200 baud (costs ~1.5 KB)

#endif  // RD_CONFIG_FILE
