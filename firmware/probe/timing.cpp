// How long the firmware's longest steps take on an Uno, in CPU cycles:
// `make avr-timing` builds this with the Arduino IDE's flags and runs it
// under simavr, which prints the UART's lines. A benchmark that prints
// figures, not a pass/fail test.
//
// Timer1 counts cycles (prescaler 1) and its overflows extend it past
// 65536. Timer0's millis() interrupt keeps running while a step is timed,
// so its share is counted as on a real board. Lines, per mode:
//   timing uno delay-1ms ...                 _delay_ms(1), a check of the clock
//   timing uno accept cycles=N ms=X          one whole accept value, as the client computes it
//   timing uno accept-piece-max ...          its longest piece when computed a step at a time
//   timing uno <mode> loop-max ...           the longest robotLoop() through the probe's null client
//   timing uno <mode> link-open-max ...      the longest link call of a handshake with a scripted peer
#include <Arduino.h>
#include <avr/wdt.h>
#include <util/delay.h>

#include "probe_net.h"
#include "sim_exit.h"
#include "rd_config.h"
#include "robot.h"
#include "ws_accept.h"
#include "ws_link.h"

// The scripted peer's script (probe_net.h).
const char *ScriptClient::in = nullptr;
char ScriptClient::out[256];
uint8_t ScriptClient::outAt = 0;

namespace {

volatile uint16_t overflows;

void clockStart() {
  TCCR1B = 0;
  TCCR1A = 0;
  TCNT1 = 0;
  overflows = 0;
  TIFR1 = _BV(TOV1);
  TIMSK1 = _BV(TOIE1);
  TCCR1B = _BV(CS10);  // prescaler 1: one count per cycle
}

uint32_t clockStop() {
  uint8_t sreg = SREG;
  cli();
  uint16_t t = TCNT1;  // read while it runs: under simavr a stopped Timer1 read as 0
  uint32_t n = (uint32_t)overflows << 16 | t;
  // An overflow its interrupt has not counted yet: the count wrapped just now.
  if ((TIFR1 & _BV(TOV1)) && t < 0x8000) n += 0x10000;
  TCCR1B = 0;
  TIFR1 = _BV(TOV1);
  SREG = sreg;
  return n;
}

uint32_t overhead;  // of clockStart() + clockStop() themselves

uint32_t clockRead() {
  uint32_t n = clockStop();
  return n > overhead ? n - overhead : 0;
}

const __FlashStringHelper *flash(const char *p) { return reinterpret_cast<const __FlashStringHelper *>(p); }

/** "timing uno [<mode> ]<what> cycles=N ms=X.XX[ <extra>=N]" (P-strings). */
void report(bool perMode, const char *what, uint32_t cycles, const char *extra = nullptr,
            uint32_t n = 0) {
  Serial.print(F("timing uno "));
  if (perMode) Serial.print(rd::kDirectMode ? F("direct ") : F("relay "));
  Serial.print(flash(what));
  Serial.print(F(" cycles="));
  Serial.print(cycles);
  uint32_t hundredths = (cycles + F_CPU / 200000) / (F_CPU / 100000);
  Serial.print(F(" ms="));
  Serial.print(hundredths / 100);
  Serial.print('.');
  Serial.print((char)('0' + hundredths / 10 % 10));
  Serial.print((char)('0' + hundredths % 10));
  if (extra) {
    Serial.print(' ');
    Serial.print(flash(extra));
    Serial.print('=');
    Serial.print(n);
  }
  Serial.print('\n');
}

// (a) The accept value as the client computes it: the key's 24 characters
// hashed with the GUID, then the 28 characters of its base64. Then again
// piece by piece as the link runs it (the key and GUID, then each step()):
// the longest piece, and how many.
const uint8_t kNonce[16] = {'t', 'h', 'e', ' ', 's', 'a', 'm', 'p', 'l', 'e', ' ', 'n', 'o', 'n', 'c', 'e'};
rd::Sha1 sha;

void hashKey() {
  sha.begin();
  for (uint8_t i = 0; i < rd::kWsKeyChars; i++) sha.add((uint8_t)rd::base64At(kNonce, 16, i));
  sha.endAccept();
}

void timeAccept() {
  volatile char sink;
  clockStart();
  hashKey();
  while (!sha.step()) {
  }
  for (uint8_t i = 0; i < rd::kWsAcceptChars; i++) sink = rd::base64At(sha.digest(), 20, i);
  report(false, PSTR("accept"), clockRead());
  (void)sink;

  clockStart();
  hashKey();
  uint32_t worst = clockRead(), pieces = 1;
  for (bool done = false; !done; pieces++) {
    clockStart();
    done = sha.step();
    uint32_t n = clockRead();
    if (n > worst) worst = n;
  }
  report(false, PSTR("accept-piece-max"), worst, PSTR("pieces"), pieces);
}

// (b) robotLoop() as the sketch calls it, over the probe's null network:
// whatever the null client provokes (connects, handshakes that fail or
// time out, reconnects) during `ms` of simulated time.
void timeLoop(uint32_t ms) {
  rd::robotSetup();
  uint32_t worst = 0, calls = 0, until = millis() + ms;
  while ((int32_t)(millis() - until) < 0) {
    clockStart();
    rd::robotLoop();
    uint32_t n = clockRead();
    if (n > worst) worst = n;
    calls++;
  }
  wdt_disable();
  report(true, PSTR("loop-max"), worst, PSTR("calls"), calls);
}

char script[200];

/** Polls until the link opens (or fails); the worst call, and how many. */
void pollUntilOpen(rd::WsLink &link, uint32_t worst) {
  uint32_t polls = 0;
  rd::WsLink::Event e = rd::WsLink::kNone;
  while (e == rd::WsLink::kNone && polls < 10000) {
    clockStart();
    e = link.poll(millis());
    uint32_t n = clockRead();
    if (n > worst) worst = n;
    polls++;
  }
  if (e != rd::WsLink::kOpened) Serial.print(F("timing: the scripted handshake did not open\n"));
  report(true, PSTR("link-open-max"), worst, PSTR("calls"), polls + (rd::kDirectMode ? 0 : 1));
}

// (c) A whole handshake against a scripted peer: the client's startClient()
// and polls up to the open link, or the server's polls up to its 101.
void timeLinkOpen() {
  // A board's links share one buffer and one connection, the scripted peer
  // (probe_net.h): the robot's link is idle here.
  NetClient &peer = rd::linkConnection;
  static rd::WsLink link;
  uint32_t worst = 0;
  if (!rd::kDirectMode) {
    clockStart();
    link.startClient(millis(), PSTR("relay"), 8765, PSTR("rover"), PSTR(""));
    worst = clockRead();
    // The request ends with the key and a blank line: answer it.
    char key[rd::kWsKeyChars], accept[rd::kWsAcceptChars + 1];
    for (uint8_t i = 0; i < rd::kWsKeyChars; i++)
      key[i] = peer.out[(uint8_t)(peer.outAt - 4 - rd::kWsKeyChars + i)];
    rd::wsAccept(key, accept);
    strcpy_P(script, PSTR("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Protocol: robodeck.v1\r\n"
                          "Sec-WebSocket-Accept: "));
    strcat(script, accept);
    strcat_P(script, PSTR("\r\n\r\n"));
  } else {
    link.startServer(millis(), PSTR(""));
    strcpy_P(script, PSTR("GET / HTTP/1.1\r\nHost: r\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Protocol: robodeck.v1\r\n\r\n"));
  }
  peer.in = script;
  pollUntilOpen(link, worst);
  peer.in = nullptr;  // the null network again, for the robot's loop
}

}  // namespace

ISR(TIMER1_OVF_vect) { overflows++; }

void setup() {
  Serial.begin(115200);
  clockStart();
  overhead = clockStop();
  clockStart();
  _delay_ms(1);  // the clock checked: 16000 cycles, plus the millis() interrupts
  report(false, PSTR("delay-1ms"), clockRead());
  timeAccept();
  timeLinkOpen();
  timeLoop(8000);
  simavrExit();
}

void loop() {}
