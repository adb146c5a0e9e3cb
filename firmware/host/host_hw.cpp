// Time, pins and analog inputs of the virtual robot.
#include <math.h>
#include <time.h>

#include "Arduino.h"
#include "host_hw.h"

namespace {

uint8_t pinLevel[70], pinPwm[70];
uint32_t lastPinWriteUs = 0;

uint64_t nowUs() {
  static timespec start = [] {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t;
  }();
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)(t.tv_sec - start.tv_sec) * 1000000u + (t.tv_nsec - start.tv_nsec) / 1000;
}

}  // namespace

uint32_t millis() { return (uint32_t)(nowUs() / 1000); }
uint32_t micros() { return (uint32_t)nowUs(); }
void pinMode(uint8_t, uint8_t) {}

void digitalWrite(uint8_t pin, uint8_t value) {
  if (pin < sizeof pinLevel) pinLevel[pin] = value, lastPinWriteUs = micros();
}

void analogWrite(uint8_t pin, int value) {
  if (pin < sizeof pinPwm) pinPwm[pin] = (uint8_t)value, lastPinWriteUs = micros();
}

int hostPinLevel(uint8_t pin) { return pinLevel[pin]; }
int hostPinPwm(uint8_t pin) { return pinPwm[pin]; }
uint32_t hostLastPinWriteUs() { return lastPinWriteUs; }

int analogRead(uint8_t pin) {
  // A plausible rover: the battery sags and the currents rise with the
  // motor duty; the other inputs are slow waves of different periods.
  int ch = pin - A0;
  int load = pinPwm[5] + pinPwm[6];  // the default enable pins
  double t = millis() / 1000.0;
  switch (ch) {
    case 0: return 860 - load / 8;
    case 1: return 512 + pinPwm[5] / 2;
    case 2: return 512 + pinPwm[6] / 2;
    default: return (int)(512 + 400 * sin(t * (ch - 2) * 1.3));
  }
}
