#include "robot.h"

#include <Arduino.h>

#include "drive_state.h"
#include "motors.h"
#include "msg_parse.h"
#include "msg_write.h"
#include "platform.h"
#include "rd_config.h"
#include "rd_random.h"
#include "sampler.h"
#include "watchdog.h"
#include "ws_link.h"
#if RD_LINK_KEEPS_BUFFER
#include "net_client.h"  // the host's robot makes its connection; a board's is the link's
#endif

namespace rd {

namespace {

#define RD_CH_JSON(pin, name, unit, mul, div, off)                                       \
  ",{\"name\":\"" name "\",\"unit\":\"" unit "\",\"mul\":" #mul ",\"div\":" #div ",\"off\":" \
  #off "}"
#define RD_CH_PIN(pin, name, unit, mul, div, off) pin,
#define RD_CH_READ(pin, name, unit, mul, div, off) *row++ = (uint16_t)analogRead(pin);
const char kChannelsJson[] PROGMEM = RD_CHANNELS(RD_CH_JSON);  // starts with ','
const uint8_t kPins[kChannels] PROGMEM = {RD_CHANNELS(RD_CH_PIN)};

const char kHost[] PROGMEM = RD_RELAY_HOST;
const char kId[] PROGMEM = RD_ROBOT_ID;
const char kToken[] PROGMEM = RD_TOKEN;

constexpr uint16_t kBackoffMinMs = 100;
constexpr uint16_t kStableMs = 5000;  // a link this old resets the backoff
static_assert(kBackoffMaxMs <= 30000, "RD_BACKOFF_MAX_MS: the reconnect timer is 16-bit");

// Constant on boards, so its fields fold into the code; the host's command
// line changes it through settings().
#if defined(ROBODECK_HOST)
Settings config =
#else
const Settings config =
#endif
    {kHost, kDirectMode ? RD_LISTEN_PORT : RD_RELAY_PORT, kId, kToken, kDirectMode};
#if RD_LINK_KEEPS_BUFFER
NetClient conn;
uint8_t buffer[WsLink::kBufferSize];
WsLink link(buffer, conn);
#else
// A board's one link has its buffer and its connection built in (ws_link.h):
// the robot connects and accepts into that connection, at its constant address.
NetClient &conn = linkConnection;
WsLink link;
#endif
DriveState drive;
uint16_t driveTimeout = kDefaultTimeoutMs;  // ms; cfg changes it
Sampler sampler;
uint16_t rate = kDefaultRate;
// 16-bit: checked every loop while they run, and all far below 32 s.
// The next relay connect is due at `retryAt`: 0 at boot, which the clock
// has passed (setup is bounded: DHCP's 10 s at most, far under 32 s), so
// the first loop() connects. A deadline, not a
// failure time and a wait: connectRelay() runs every loop while the link is
// idle, so it sees the deadline pass long before the 16-bit clock is 32 s
// past it, and every link ends in linkDown(), which sets a new one.
uint16_t retryAt = 0, openedAt = 0;
uint16_t backoff = kBackoffMinMs;

bool direct() { return serverRole(config.direct); }

void setLed(bool on) {
#if RD_LED_PIN >= 0
  digitalWrite(RD_LED_PIN, on ? HIGH : LOW);
#else
  (void)on;
#endif
}

// ---------------------------------------------------------------- sending

// The messages (msg_write.h): their text, then the variables it shows.
#define RD_HELLO_HEAD "hello\",\"proto\":1,\"id\":\""
#if defined(ROBODECK_HOST)  // the id from the command line
#define RD_HELLO_ID RD_V_PSTR
#define RD_HELLO_ID_VAR &config.id,
#else  // config.h's id, in the text
#define RD_HELLO_ID RD_ROBOT_ID
#define RD_HELLO_ID_VAR
#endif
const char kHelloText[] PROGMEM = RD_HELLO_HEAD RD_HELLO_ID "\",\"fw\":\"" RD_FIRMWARE_VERSION
                                  "\",\"board\":\"" RD_BOARD_NAME "\",\"ch\":[" RD_V_TEXT
                                  "],\"rate\":" RD_V_U16 ",\"timeout\":" RD_V_U16 "}";
const void *const kHello[] PROGMEM = {kHelloText, RD_HELLO_ID_VAR kChannelsJson + 1, &rate, &driveTimeout};
const char kTelText[] PROGMEM = "tel\",\"seq\":" RD_V_U32 ",\"ms\":" RD_V_U32 ",\"v\":[" RD_V_ROWS
                                "],\"m\":[" RD_V_I8 "," RD_V_I8 "],\"ack\":" RD_V_U32 "}";
const void *const kTel[] PROGMEM = {kTelText,     &sampler.first_.seq, &sampler.first_.ms, &sampler,
                                    &drive.applied_.left, &drive.applied_.right, &drive.applied_.ack};
Command command;  // the message being handled (pong's id is read from it)
const char kPongText[] PROGMEM = "pong\",\"id\":" RD_V_U32 "}";
const void *const kPong[] PROGMEM = {kPongText, &command.v[fId]};

RD_NOINLINE bool sendTel() {
  if (!sampler.count()) return true;
  bool sent = link.sendText(writeMessage, kTel);
  sampler.clear();  // sent, or the link is going down: either way not kept
  return sent;
}

void telemetry(uint32_t now) {
  for (;;) {
    if (sampler.ready() && !sendTel()) return;  // it spans kTelPeriodMs, or it is full (or empty: nothing sent)
    if (!sampler.due(now)) return;
    uint16_t *row = sampler.row();
    if (kChannels <= 3) {  // a call per channel, its pin a constant: shorter for a few
      RD_CHANNELS(RD_CH_READ)
    } else {
      for (uint8_t c = 0; c < kChannels; c++) row[c] = (uint16_t)analogRead(pgm_read_byte(&kPins[c]));
    }
    sampler.commit();
  }
}

// ---------------------------------------------------------------- receiving

void configure(const Command &c, uint32_t now) {
  if (c.at[fRate]) {  // absent: keep
    sendTel();  // the pending batch was sampled at the old rate
    rate = (uint16_t)c.v[fRate];
    sampler.start(rate, now);
  }
  if (c.at[fTimeout]) driveTimeout = (uint16_t)c.v[fTimeout];
  link.sendText(writeMessage, kHello);
}

void onMessage(uint32_t now) {
  Command &c = command;
  ParseResult r = parseCommand(link.data(), link.size(), kRateMax, c);
  if (!r) {
    link.sendText(writeParseError, &r);
    return;
  }
  switch (r.type()) {
    case Msg::kDrive:
    case Msg::kStop:  // a stop is a drive to 0 (its l and r read 0) that always applies
      drive.drive((int8_t)c.v[fL], (int8_t)c.v[fR], c.v[fSeq], now, r.type() == Msg::kStop);
      break;
    case Msg::kPing: link.sendText(writeMessage, kPong); break;
    case Msg::kCfg: configure(c, now); break;
    default: break;  // pong, err
  }
}

// ---------------------------------------------------------------- the link

void linkUp(uint32_t now) {
  logLine(PSTR("link up"));
  setLed(true);
  openedAt = now;
  // The motors are off and the seq at 0 (stopped until a fresh drive on this
  // link): at boot, and every link before ended in linkDown (ws_link.h: every
  // end is a kDown, and a failed connect calls it too).
  sampler.start(rate, now);
  link.sendText(writeMessage, kHello);
}

/** The next relay connect after a backoff that grows; not in direct mode, where the app reconnects. */
void retryLater(uint16_t now) {
  // Jitter over the upper half, so robots of a fleet spread out: random
  // bits under backoff / 2 (no division; not uniform, but never more).
  uint16_t jitter = random16();  // first: less to keep across the call
  retryAt = (uint16_t)(now + backoff - (jitter & (backoff / 2)));
  backoff = backoff >= kBackoffMaxMs / 2 ? kBackoffMaxMs : backoff * 2;
}

void linkDown(uint32_t now, const char *why) {
  drive.reset();  // the motors follow at once, in the same loop()
  setLed(false);
  logLine(PSTR("link down: "), why);
  if (!direct()) retryLater(now);
}

/** One event of the link per loop: the rest of the loop (the failsafe first) runs between messages. */
void serviceLink(uint32_t now) {
  switch (link.poll(now)) {
    case WsLink::kNone: return;
    case WsLink::kOpened: linkUp(now); return;
    case WsLink::kMessage: onMessage(now); return;
    case WsLink::kDown: linkDown(now, link.reason()); return;
  }
}

// The network library wants the relay's name in RAM: on boards a copy of
// config.h's, kept there (its length in RAM, less code than copying it out
// of flash at each attempt); on the host, settings() may change it.
#if defined(ROBODECK_HOST)
const char *hostInRam() { return config.host; }
#else
char hostName[] = RD_RELAY_HOST;
const char *hostInRam() { return hostName; }
#endif

void connectRelay(uint32_t now) {
  if ((int16_t)((uint16_t)now - retryAt) < 0) return;
  logLine(PSTR("connecting to relay"));
  if (netConnect(conn, hostInRam(), config.port)) {
    link.startClient(now, config.host, config.port, config.id, config.token);
  } else {
    linkDown(now, PSTR("connect failed"));  // the connection is closed (netConnect)
  }
}

}  // namespace

#if defined(ROBODECK_HOST)
Settings &settings() { return config; }
#endif

void robotSetup() {
  motorsBegin();  // motors off before anything else can fail
#if RD_LED_PIN >= 0
  pinMode(RD_LED_PIN, OUTPUT);
#endif
  platformBegin();
  watchdogStart();
  if (direct()) netListen(config.port);  // a relay board connects in its first loop()
  logLine(PSTR("ready"));
}

void robotLoop() {
  uint32_t now = millis();
  watchdogFeed();
  platformTick();
  serviceLink(now);
  if (drive.expire(now, driveTimeout)) logLine(PSTR("failsafe: drive timeout"));
  // The pins follow the drive state every loop, right after the messages
  // and the timeout changed it (so a tel's m is what they show).
  motorsApply(drive.applied_.left, drive.applied_.right);
  if (link.open()) {
    telemetry(now);
    if (!direct() && (uint16_t)((uint16_t)now - openedAt) >= kStableMs) backoff = kBackoffMinMs;
  }
  if (direct()) link.accept(now, config.token);  // or a 503, while an app is connected
  else if (link.state() == WsLink::kIdle) connectRelay(now);
}

}  // namespace rd
