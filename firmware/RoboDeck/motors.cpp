#include "motors.h"

#include <Arduino.h>

#include "rd_config.h"

namespace rd {

namespace {

void side(uint8_t pwm, uint8_t in1, uint8_t in2, bool invert, uint8_t trim, int8_t speed) {
  if (invert) speed = (int8_t)-speed;
  uint8_t magnitude = (uint8_t)(speed < 0 ? -speed : speed);
  // Direction first, so the wheel never runs the wrong way at the new duty.
  digitalWrite(in1, speed > 0 ? HIGH : LOW);
  digitalWrite(in2, speed < 0 ? HIGH : LOW);
  analogWrite(pwm, (int)((uint16_t)magnitude * trim * 255u / 10000u));
}

}  // namespace

void motorsBegin() {
  static const uint8_t pins[] = {RD_LEFT_PWM, RD_LEFT_IN1, RD_LEFT_IN2,
                                 RD_RIGHT_PWM, RD_RIGHT_IN1, RD_RIGHT_IN2};
  for (uint8_t pin : pins) {
    digitalWrite(pin, LOW);
    pinMode(pin, OUTPUT);
  }
}

void motorsApply(int8_t left, int8_t right) {
  side(RD_LEFT_PWM, RD_LEFT_IN1, RD_LEFT_IN2, RD_LEFT_INVERT, RD_LEFT_TRIM, left);
  side(RD_RIGHT_PWM, RD_RIGHT_IN1, RD_RIGHT_IN2, RD_RIGHT_INVERT, RD_RIGHT_TRIM, right);
}

}  // namespace rd
