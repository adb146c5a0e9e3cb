#include "motors.h"

#include <Arduino.h>

#include "rd_config.h"

namespace rd {

namespace {

/** `scale`: the duty at full speed, 255 * trim / 100. */
void side(uint8_t pwm, uint8_t in1, uint8_t in2, uint8_t scale, int8_t speed) {
  uint8_t magnitude = (uint8_t)(speed < 0 ? -speed : speed);
  // Direction first, so the wheel never runs the wrong way at the new duty.
  digitalWrite(in1, speed > 0 ? HIGH : LOW);
  digitalWrite(in2, speed < 0 ? HIGH : LOW);
  // 16 bits (magnitude * scale <= 25500); exact at full trim, at most one
  // step (of 255) low otherwise.
  analogWrite(pwm, (int)((uint16_t)(magnitude * scale) / 100u));
}

}  // namespace

void motorsBegin() {
  static const uint8_t pins[] PROGMEM = {RD_LEFT_PWM, RD_LEFT_IN1, RD_LEFT_IN2,
                                         RD_RIGHT_PWM, RD_RIGHT_IN1, RD_RIGHT_IN2};
  for (uint8_t i = 0; i < sizeof pins; i++) {
    uint8_t pin = pgm_read_byte(&pins[i]);
    digitalWrite(pin, LOW);
    pinMode(pin, OUTPUT);
  }
}

void motorsApply(int8_t left, int8_t right) {
  // "invert" swaps the direction pins.
  side(RD_LEFT_PWM, RD_LEFT_INVERT ? RD_LEFT_IN2 : RD_LEFT_IN1, RD_LEFT_INVERT ? RD_LEFT_IN1 : RD_LEFT_IN2,
       255 * RD_LEFT_TRIM / 100, left);
  side(RD_RIGHT_PWM, RD_RIGHT_INVERT ? RD_RIGHT_IN2 : RD_RIGHT_IN1,
       RD_RIGHT_INVERT ? RD_RIGHT_IN1 : RD_RIGHT_IN2, 255 * RD_RIGHT_TRIM / 100, right);
}

}  // namespace rd
