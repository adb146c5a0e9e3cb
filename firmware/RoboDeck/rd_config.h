// The configuration as typed constants, with the checks that keep a bad
// edit of config.h from turning into a silent overflow on the robot.
#pragma once

#include "rd_pgm.h"

#define RD_MODE_RELAY 1
#define RD_MODE_DIRECT 2
#include "config.h"

#define RD_FIRMWARE_VERSION "0.1.0"  // hello.fw

// hello.board: a constant, so it is part of hello's text in flash.
#if defined(ROBODECK_HOST)
#define RD_BOARD_NAME "host"
#elif defined(ESP32)
#define RD_BOARD_NAME "esp32"
#elif defined(ESP8266)
#define RD_BOARD_NAME "esp8266"
#elif defined(__AVR_ATmega2560__)
#define RD_BOARD_NAME "mega"
#elif defined(__AVR_ATmega328P__)
#define RD_BOARD_NAME "uno"
#else
#define RD_BOARD_NAME "arduino"
#endif

namespace rd {

constexpr uint16_t kRxBuffer = RD_RX_BUFFER;
constexpr uint16_t kTxChunk = RD_TX_CHUNK;
#ifndef RD_RX_CHUNK
#define RD_RX_CHUNK 16
#endif
constexpr uint8_t kRxChunk = RD_RX_CHUNK;  // bytes fetched from the network per read
constexpr uint16_t kRateMax = RD_RATE_MAX;
constexpr uint16_t kBatchMax = RD_BATCH_MAX;
constexpr uint16_t kTelPeriodMs = RD_TEL_PERIOD_MS;
constexpr uint16_t kDefaultTimeoutMs = RD_DRIVE_TIMEOUT_MS;
constexpr uint16_t kDefaultRate = RD_SAMPLE_RATE;
constexpr uint16_t kPingIdleMs = RD_PING_IDLE_MS;
constexpr uint16_t kLinkTimeoutMs = RD_LINK_TIMEOUT_MS;
constexpr uint16_t kHandshakeMs = RD_HANDSHAKE_MS;
constexpr uint16_t kBackoffMaxMs = RD_BACKOFF_MAX_MS;
constexpr bool kDirectMode = RD_MODE == RD_MODE_DIRECT;

#define RD_CH_COUNT_ONE(pin, name, unit, mul, div, off) +1
constexpr uint8_t kChannels = 0 RD_CHANNELS(RD_CH_COUNT_ONE);
#undef RD_CH_COUNT_ONE

/**
 * Is this the server (direct-mode) side? On the host both roles run, chosen
 * at run time (tests drive both); on a board the role is RD_MODE, a
 * constant, so the compiler drops the other role's code from the flash.
 */
inline bool serverRole(bool atRunTime) {
#if defined(ROBODECK_HOST)
  return atRunTime;
#else
  (void)atRunTime;
  return kDirectMode;
#endif
}

// Protocol limits (docs/protocol.md).
constexpr int32_t kMaxSeq = 0x7FFFFFFF;
constexpr uint16_t kTimeoutMin = 50, kTimeoutMax = 10000;

static_assert(RD_MODE == RD_MODE_RELAY || RD_MODE == RD_MODE_DIRECT, "RD_MODE");

#ifndef RD_RELAY_TLS
#define RD_RELAY_TLS 0
#endif
#if RD_RELAY_TLS
#if !defined(ESP32)
#error "RD_RELAY_TLS needs an ESP32: the Ethernet shield boards and the ESP8266 build have no checked TLS"
#endif
#if RD_MODE != RD_MODE_RELAY
#error "RD_RELAY_TLS is for relay mode; in direct mode put the robot behind a TLS proxy"
#endif
#if !defined(RD_RELAY_CA_PEM) && !defined(RD_RELAY_FINGERPRINT)
#error "RD_RELAY_TLS needs RD_RELAY_CA_PEM or RD_RELAY_FINGERPRINT: the robot never connects unchecked"
#endif
#endif
static_assert(kRxBuffer >= 115, "RD_RX_BUFFER must hold the handshake's SHA-1 (exact check: ws_link.h)");
static_assert(kRxBuffer <= 16384, "RD_RX_BUFFER beyond the protocol's frame limit");
static_assert(kRxChunk >= 1 && kRxChunk <= 255, "RD_RX_CHUNK is 1..255");
static_assert(kTxChunk >= 16 && kTxChunk <= 4096, "RD_TX_CHUNK");
static_assert(kChannels >= 1 && kChannels <= 16, "1..16 analog channels");
static_assert(kTelPeriodMs >= 1 && kTelPeriodMs <= 10000, "RD_TEL_PERIOD_MS is 1..10000 (Sampler::ready is 16-bit)");
static_assert(kBatchMax >= 1 && kBatchMax <= 250, "RD_BATCH_MAX is 1..250 samples");
static_assert(kRateMax >= 1 && kRateMax <= 1000, "RD_RATE_MAX is 1..1000");
static_assert(kDefaultRate >= 1 && kDefaultRate <= kRateMax, "RD_SAMPLE_RATE");
static_assert(kDefaultTimeoutMs >= kTimeoutMin && kDefaultTimeoutMs <= kTimeoutMax,
              "RD_DRIVE_TIMEOUT_MS is 50..10000");
static_assert(kLinkTimeoutMs > kPingIdleMs, "RD_LINK_TIMEOUT_MS must exceed RD_PING_IDLE_MS");
static_assert(RD_LEFT_TRIM <= 100 && RD_RIGHT_TRIM <= 100, "trim is 0..100 percent");

}  // namespace rd
