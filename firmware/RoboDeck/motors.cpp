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
  // duty = x * 255 / 10000 for x = magnitude * trim <= 10000, exactly, in
  // 16 bits (`unsigned` is 16 on AVR: x * 255 would wrap): x = 16q + r,
  // and x * 51 / 2000 = (51q + 51r / 16) / 125, with both parts floored.
  uint16_t x = (uint16_t)(magnitude * trim);
  analogWrite(pwm, (int)(((x >> 4) * 51u + (x & 15) * 51u / 16) / 125));
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
  side(RD_LEFT_PWM, RD_LEFT_IN1, RD_LEFT_IN2, RD_LEFT_INVERT, RD_LEFT_TRIM, left);
  side(RD_RIGHT_PWM, RD_RIGHT_IN1, RD_RIGHT_IN2, RD_RIGHT_INVERT, RD_RIGHT_TRIM, right);
}

}  // namespace rd
