// On AVR, rd::motorsApply writes the motor pins' registers itself instead of
// calling the core. This compares every motor pin's state after it with the
// state the core's digitalWrite/analogWrite leave for the same speeds, and
// prints "motorcheck checks=N bad=M" over the UART (run under simavr by
// probe/motor_check.sh). MOTOR_CHECK_NEGATIVE makes the reference one step
// off, so the check is seen to fail when the two differ.
#include <Arduino.h>

#include "motors.h"
#include "rd_config.h"
#include "sim_exit.h"

static uint8_t pinsArr[6] = {RD_LEFT_PWM, RD_LEFT_IN1, RD_LEFT_IN2, RD_RIGHT_PWM, RD_RIGHT_IN1, RD_RIGHT_IN2};

// effective output of a pin: 0..255 if PWM connected (its OCR), else 0 / 255 from PORT; 0x1000 | ... if not output
static uint16_t effective(uint8_t pin) {
  uint8_t port = digitalPinToPort(pin), bit = digitalPinToBitMask(pin);
  bool out = *portModeRegister(port) & bit;
  bool high = *portOutputRegister(port) & bit;
  uint16_t v = high ? 255 : 0;
  switch (digitalPinToTimer(pin)) {
#define C(t, tccr, com, ocr) case t: if (tccr & _BV(com)) v = 0x200 | ocr; break;
    C(TIMER0A, TCCR0A, COM0A1, OCR0A) C(TIMER0B, TCCR0A, COM0B1, OCR0B)
    C(TIMER1A, TCCR1A, COM1A1, OCR1A) C(TIMER1B, TCCR1A, COM1B1, OCR1B)
    C(TIMER2A, TCCR2A, COM2A1, OCR2A) C(TIMER2B, TCCR2A, COM2B1, OCR2B)
#if defined(__AVR_ATmega2560__)
    C(TIMER3A, TCCR3A, COM3A1, OCR3A) C(TIMER3B, TCCR3A, COM3B1, OCR3B) C(TIMER3C, TCCR3A, COM3C1, OCR3C)
    C(TIMER4A, TCCR4A, COM4A1, OCR4A) C(TIMER4B, TCCR4A, COM4B1, OCR4B) C(TIMER4C, TCCR4A, COM4C1, OCR4C)
    C(TIMER5A, TCCR5A, COM5A1, OCR5A) C(TIMER5B, TCCR5A, COM5B1, OCR5B) C(TIMER5C, TCCR5A, COM5C1, OCR5C)
#endif
    default: break;
  }
  if ((v & 0x200) && (v & 0xFF) == 255) v = 255;  // a timer at top holds the pin high
  if (!out) v |= 0x1000;
  return v;
}

static void ref(int8_t l, int8_t r) {
  uint8_t f1 = RD_LEFT_INVERT ? RD_LEFT_IN2 : RD_LEFT_IN1, r1 = RD_LEFT_INVERT ? RD_LEFT_IN1 : RD_LEFT_IN2;
  uint8_t f2 = RD_RIGHT_INVERT ? RD_RIGHT_IN2 : RD_RIGHT_IN1, r2 = RD_RIGHT_INVERT ? RD_RIGHT_IN1 : RD_RIGHT_IN2;
  digitalWrite(f1, l > 0 ? HIGH : LOW); digitalWrite(r1, l < 0 ? HIGH : LOW);
  analogWrite(RD_LEFT_PWM, (int)((uint32_t)(l < 0 ? -l : l) * (255 * RD_LEFT_TRIM / 100) / 100));
  digitalWrite(f2, r > 0 ? HIGH : LOW); digitalWrite(r2, r < 0 ? HIGH : LOW);
  analogWrite(RD_RIGHT_PWM, (int)((uint32_t)(r < 0 ? -r : r) * (255 * RD_RIGHT_TRIM / 100) / 100));
}

void setup() {
  Serial.begin(115200);
  static const int8_t speeds[] = {0, 1, 50, 99, 100, -1, -50, -100, 37, 0, 100, 0, -100, 3};
  uint16_t bad = 0, checks = 0;
  for (uint8_t k = 0; k < 2; k++) {
    for (uint8_t i = 0; i < sizeof speeds; i++) {
      int8_t l = speeds[i], r = speeds[(i + 5) % sizeof speeds];
      uint16_t a[6], b[6];
      if (i == 0) { for (uint8_t p : pinsArr) { digitalWrite(p, LOW); pinMode(p, OUTPUT); } }
#ifdef MOTOR_CHECK_NEGATIVE
      ref(l, (int8_t)(r ? r - 1 : 0));
#else
      ref(l, r);
#endif
      for (uint8_t j = 0; j < 6; j++) b[j] = effective(pinsArr[j]);
      if (i == 0 && k == 0) rd::motorsBegin();
      rd::motorsApply(l, r);
      for (uint8_t j = 0; j < 6; j++) {
        a[j] = effective(pinsArr[j]);
        checks++;
        if (a[j] != b[j]) {
          bad++;
          Serial.print(F("MISMATCH l=")); Serial.print(l); Serial.print(F(" r=")); Serial.print(r);
          Serial.print(F(" pin=")); Serial.print(pinsArr[j]); Serial.print(F(" mine=")); Serial.print(a[j], HEX);
          Serial.print(F(" core=")); Serial.println(b[j], HEX);
        }
      }
    }
  }
  Serial.print(F("motorcheck checks=")); Serial.print(checks); Serial.print(F(" bad=")); Serial.println(bad);
  simavrExit();
}
void loop() {}
