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

namespace rd {

namespace {

#define RD_CH_JSON(pin, name, unit, mul, div, off)                                       \
  ",{\"name\":\"" name "\",\"unit\":\"" unit "\",\"mul\":" #mul ",\"div\":" #div ",\"off\":" \
  #off "}"
#define RD_CH_PIN(pin, name, unit, mul, div, off) pin,
const char kChannelsJson[] PROGMEM = RD_CHANNELS(RD_CH_JSON);  // starts with ','
const uint8_t kPins[kChannels] PROGMEM = {RD_CHANNELS(RD_CH_PIN)};

const char kHost[] PROGMEM = RD_RELAY_HOST;
const char kId[] PROGMEM = RD_ROBOT_ID;
const char kToken[] PROGMEM = RD_TOKEN;

constexpr uint16_t kBackoffMinMs = 100;
constexpr uint32_t kStableMs = 5000;  // a link this old resets the backoff

Settings config = {kHost, kDirectMode ? RD_LISTEN_PORT : RD_RELAY_PORT, kId, kToken,
                   kDirectMode};
NetClient conn;
uint8_t linkBuffer[WsLink::kBufferSize];
WsLink link(linkBuffer);
DriveState drive(kDefaultTimeoutMs);
Sampler sampler;
uint16_t rate = kDefaultRate;
int8_t outLeft = 0, outRight = 0;
uint32_t nextAttempt = 0, openedAt = 0;
uint16_t backoff = kBackoffMinMs;

bool direct() { return serverRole(config.direct); }

void setLed(bool on) {
#if RD_LED_PIN >= 0
  digitalWrite(RD_LED_PIN, on ? HIGH : LOW);
#else
  (void)on;
#endif
}

void applyMotors() {
  if (drive.left() == outLeft && drive.right() == outRight) return;
  outLeft = drive.left(), outRight = drive.right();
  motorsApply(outLeft, outRight);
}

// ---------------------------------------------------------------- sending

void helloWriter(Out &out, const void *) {
  HelloInfo h = {config.id, boardName(), kChannelsJson + 1, rate, drive.timeout};
  writeHello(out, h);
}

void telWriter(Out &out, const void *) {
  TelBatch t = {sampler.firstSeq(), sampler.firstMs(), sampler.rows(), sampler.count(),
                kChannels,          outLeft,           outRight,       drive.ack()};
  writeTel(out, t);
}

void pongWriter(Out &out, const void *id) { writePong(out, *static_cast<const int32_t *>(id)); }

void errWriter(Out &out, const void *r) {
  writeParseError(out, *static_cast<const ParseResult *>(r));
}

bool sendTel() {
  if (!sampler.count()) return true;
  bool sent = link.sendText(telWriter, nullptr);
  sampler.clear();  // sent, or the link is going down: either way not kept
  return sent;
}

void telemetry(uint32_t now) {
  sampler.skipTo(now);
  while (sampler.due(now)) {
    if (sampler.full() && !sendTel()) return;
    uint16_t *row = sampler.row();
    for (uint8_t c = 0; c < kChannels; c++) row[c] = (uint16_t)analogRead(pgm_read_byte(&kPins[c]));
    sampler.commit();
  }
  if (sampler.ready()) sendTel();
}

// ---------------------------------------------------------------- receiving

void configure(const Command &c, uint32_t now) {
  if (c.rate > 0) {
    sendTel();  // the pending batch was sampled at the old rate
    rate = (uint16_t)c.rate;
    sampler.start(rate, now);
  }
  if (c.timeout > 0) drive.timeout = (uint16_t)c.timeout;
  link.sendText(helloWriter, nullptr);
}

void onMessage(uint32_t now) {
  Command c;
  ParseResult r = parseCommand(link.data(), link.size(), kRateMax, c);
  if (!r) {
    link.sendText(errWriter, &r);
    return;
  }
  switch (c.type) {
    case Msg::kDrive:
      if (drive.drive((int8_t)c.l, (int8_t)c.r, c.seq, now)) applyMotors();
      break;
    case Msg::kStop:
      drive.stop(c.seq);
      applyMotors();
      break;
    case Msg::kPing: link.sendText(pongWriter, &c.id); break;
    case Msg::kCfg: configure(c, now); break;
    case Msg::kIgnored: break;
  }
}

// ---------------------------------------------------------------- the link

void linkUp(uint32_t now) {
  logLine(PSTR("link up"));
  setLed(true);
  openedAt = now;
  drive.reset();  // stays stopped until a fresh drive on this link
  applyMotors();
  sampler.start(rate, now);
  link.sendText(helloWriter, nullptr);
}

void linkDown(uint32_t now, const char *why) {
  drive.reset();
  applyMotors();  // at once on link loss
  setLed(false);
  logLine(PSTR("link down: "), why);
  if (now - openedAt >= kStableMs) backoff = kBackoffMinMs;
  // Full jitter over the upper half, so robots of a fleet spread out.
  nextAttempt = now + backoff - random16() % (uint16_t)(backoff / 2 + 1);
  backoff = backoff >= kBackoffMaxMs / 3 * 2 ? kBackoffMaxMs : (uint16_t)(backoff * 3 / 2);
  openedAt = now;
}

void serviceLink(uint32_t now) {
  for (uint8_t events = 0; events < 8; events++) {
    switch (link.poll(now)) {
      case WsLink::kNone: return;
      case WsLink::kOpened: linkUp(now); break;
      case WsLink::kMessage: onMessage(now); break;
      case WsLink::kDown: linkDown(now, link.reason()); return;
    }
  }
}

void connectRelay(uint32_t now) {
  if ((int32_t)(now - nextAttempt) < 0) return;
  char host[64];  // the network library wants the name in RAM
  uint8_t i = 0;
  while (i < sizeof host - 1 && (host[i] = pchar(config.host, i)) != 0) i++;
  host[i] = 0;
  logLine(PSTR("connecting to relay"));
  openedAt = now;
  if (netConnect(conn, host, config.port)) {
    link.startClient(conn, now, config.host, config.port, config.id, config.token);
  } else {
    conn.stop();
    linkDown(now, PSTR("connect failed"));
  }
}

void acceptApp(uint32_t now) {
  NetClient incoming;
  if (!netAccept(incoming)) return;
  if (link.state() != WsLink::kIdle) {
    WsLink::refuse(incoming, 503);  // one app at a time; the relay is for more
    return;
  }
  conn = incoming;
  link.startServer(conn, now, config.token);
}

}  // namespace

Settings &settings() { return config; }
int8_t appliedLeft() { return outLeft; }
int8_t appliedRight() { return outRight; }

void robotSetup() {
  motorsBegin();  // motors off before anything else can fail
#if RD_LED_PIN >= 0
  pinMode(RD_LED_PIN, OUTPUT);
#endif
  platformBegin();
  watchdogStart();
  if (direct()) netListen(config.port);
  logLine(PSTR("ready"));
}

void robotLoop() {
  uint32_t now = millis();
  watchdogFeed();
  platformTick();
  serviceLink(now);
  if (drive.expire(now)) {
    applyMotors();
    logLine(PSTR("failsafe: drive timeout"));
  }
  if (link.open()) telemetry(now);
  if (direct()) acceptApp(now);
  else if (link.state() == WsLink::kIdle) connectRelay(now);
}

}  // namespace rd
