// Configuration of the host build: a virtual robot with the sampling and
// buffers of a large board, so the app and relay can be tested against the
// firmware's own code at full rate. Network settings come from the command
// line (host_main.cpp). Pins are the default config.h ones.
#pragma once

#define RD_MODE RD_MODE_RELAY  // --listen switches to direct mode at run time
#define RD_RELAY_HOST "127.0.0.1"
#define RD_RELAY_PORT 8765
#define RD_ROBOT_ID "host-rover"
#define RD_TOKEN ""
#define RD_LISTEN_PORT 8765

#define RD_LEFT_PWM 5
#define RD_LEFT_IN1 7
#define RD_LEFT_IN2 8
#define RD_LEFT_INVERT 0
#define RD_LEFT_TRIM 100
#define RD_RIGHT_PWM 6
#define RD_RIGHT_IN1 2
#define RD_RIGHT_IN2 3
#define RD_RIGHT_INVERT 0
#define RD_RIGHT_TRIM 100
#define RD_DRIVE_TIMEOUT_MS 500

#define RD_CHANNELS(X)                     \
  X(A0, "battery", "V", 15, 1023, 0)       \
  X(A1, "current_l", "mA", 5000, 512, 512) \
  X(A2, "current_r", "mA", 5000, 512, 512) \
  X(A3, "distance", "cm", 400, 1023, 0)    \
  X(A4, "light", "%", 100, 1023, 0)        \
  X(A5, "temp", "C", 500, 1023, 102)       \
  X(A6, "aux1", "", 1, 1, 0)               \
  X(A7, "aux2", "", 1, 1, 0)

#define RD_SAMPLE_RATE 100
#define RD_RATE_MAX 1000
#define RD_TEL_PERIOD_MS 20
#define RD_BATCH_MAX 64

#define RD_RX_BUFFER 1024
#define RD_RX_CHUNK 255
#define RD_TX_CHUNK 1024
#define RD_PING_IDLE_MS 500
#define RD_LINK_TIMEOUT_MS 1500
#define RD_HANDSHAKE_MS 2000
#define RD_BACKOFF_MAX_MS 1000

#define RD_LED_PIN 13
#define RD_SERIAL_LOG 1
