// Ending a program run under simavr, which stops when the CPU sleeps with
// interrupts off (probe/timing.cpp, probe/motor_check.cpp).
#pragma once

#include <Arduino.h>
#include <avr/sleep.h>

/** Send what the UART still holds, then end the simulation. */
inline void simavrExit() {
  Serial.flush();
  cli();
  set_sleep_mode(SLEEP_MODE_PWR_DOWN);
  sleep_enable();
  sleep_cpu();
}
