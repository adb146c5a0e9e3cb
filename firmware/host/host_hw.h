// What the host build recorded of the pins, for host_main.cpp's motor log.
#pragma once

#include <stdint.h>

int hostPinLevel(uint8_t pin);
int hostPinPwm(uint8_t pin);
uint32_t hostLastPinWriteUs();
