// The slice of the Arduino API the firmware uses, on POSIX.
//
// Time comes from the monotonic clock; pin writes are recorded (host_hw.cpp)
// so the host build can report what the motor driver would see; analog
// inputs come from a simulated source. Nothing here is used on a board.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HIGH 1
#define LOW 0
#define INPUT 0
#define OUTPUT 1

enum : uint8_t { A0 = 54, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15 };

uint32_t millis();
uint32_t micros();
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t value);
void analogWrite(uint8_t pin, int value);
int analogRead(uint8_t pin);

#define PROGMEM
#define PSTR(s) (s)
#define pgm_read_byte(p) (*(const uint8_t *)(p))
#define memcpy_P memcpy

#include "Client.h"
