// Two H-bridge channels (L298N, TB6612, ...): a PWM enable pin and two
// direction pins each, with per-side invert and trim from config.h.
#pragma once

#include <stdint.h>

namespace rd {

/** Pins as outputs, motors off. Called first thing at boot. */
void motorsBegin();
/** Wheel speeds in percent, -100..100; 0 lets the wheel coast. */
void motorsApply(int8_t left, int8_t right);

}  // namespace rd
