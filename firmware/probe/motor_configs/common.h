// What every config of probe/motor_check.sh shares: settings that only have
// to build (the check looks at the motors alone).
#pragma once
#define RD_MODE RD_MODE_RELAY
#define RD_RELAY_HOST "h"
#define RD_RELAY_PORT 1
#define RD_ROBOT_ID "x"
#define RD_TOKEN ""
#define RD_LISTEN_PORT 1
#define RD_DRIVE_TIMEOUT_MS 500
#define RD_CHANNELS(X) X(A0, "a", "V", 1, 1, 0)
#define RD_SAMPLE_RATE 50
#define RD_RATE_MAX 200
#define RD_TEL_PERIOD_MS 100
#define RD_BATCH_MAX 20
#define RD_RX_BUFFER 128
#define RD_TX_CHUNK 48
#define RD_PING_IDLE_MS 1000
#define RD_LINK_TIMEOUT_MS 3000
#define RD_HANDSHAKE_MS 3000
#define RD_BACKOFF_MAX_MS 4000
#define RD_LED_PIN -1
#define RD_SERIAL_LOG 0
