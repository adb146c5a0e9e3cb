#include "motors.h"

#include <Arduino.h>

#include "rd_config.h"

namespace rd {

namespace {

/** `scale`: the duty at full speed, 255 * trim / 100. */
constexpr uint8_t kLeftScale = 255 * RD_LEFT_TRIM / 100, kRightScale = 255 * RD_RIGHT_TRIM / 100;
// "invert" swaps the direction pins.
constexpr uint8_t kLeftFwd = RD_LEFT_INVERT ? RD_LEFT_IN2 : RD_LEFT_IN1;
constexpr uint8_t kLeftRev = RD_LEFT_INVERT ? RD_LEFT_IN1 : RD_LEFT_IN2;
constexpr uint8_t kRightFwd = RD_RIGHT_INVERT ? RD_RIGHT_IN2 : RD_RIGHT_IN1;
constexpr uint8_t kRightRev = RD_RIGHT_INVERT ? RD_RIGHT_IN1 : RD_RIGHT_IN2;

// The duty, magnitude * scale / 100, as magnitude * k >> 14 with k =
// scale * 2^14 / 100 rounded up (below 2^16): exact for every magnitude
// 0..100 and scale 0..255 (the static_assert checks the two in use), with
// no division: two 8-bit hardware multiplies (k's high and low byte).
constexpr uint16_t dutyK(uint8_t scale) { return (uint16_t)((scale * 16384ul + 99) / 100); }
constexpr bool dutyExact(uint8_t scale, uint8_t magnitude = 100) {
  return (magnitude * (uint32_t)dutyK(scale)) >> 14 == magnitude * scale / 100u &&
         (magnitude == 0 || dutyExact(scale, (uint8_t)(magnitude - 1)));
}
static_assert(dutyExact(kLeftScale) && dutyExact(kRightScale), "the duty's multiply and shift");

RD_NOINLINE uint8_t duty(int8_t speed, uint16_t k) {
  uint8_t magnitude = (uint8_t)speed;
  if (speed < 0) magnitude = (uint8_t)-magnitude;
  // (magnitude * k) >> 14 in 16 bits: (m * k_hi + (m * k_lo >> 8)) >> 6.
  uint16_t high = (uint16_t)(magnitude * (uint8_t)(k >> 8));
  uint16_t low = (uint16_t)(magnitude * (uint8_t)k) >> 8;
  return (uint8_t)((uint16_t)(high + low) >> 6);
}

#if defined(__AVR_ATmega328P__) || defined(__AVR_ATmega2560__)
// The pins written straight to their port and timer registers: every pin
// is a constant of config.h, so each write folds to an sbi/cbi or a store,
// where the core's digitalWrite/analogWrite look the pin up in flash tables
// at run time (-446 B on an Uno, -1,100 B on a Mega). Other boards use the
// Arduino API below. Checked once against the core's writes on simavr (seven
// pin sets, Uno and Mega); not part of make test.
//
// A pin's port letter and bit, two characters per pin, as in the core's
// variant tables (variants/standard and variants/mega, pins_arduino.h).
#if defined(__AVR_ATmega2560__)
constexpr char kPinMap[] =
    "E0E1E4E5G5E3H3H4H5H6B4B5B6B7J1J0H1H0D3D2D1D0A0A1A2A3A4A5A6A7C7C6C5C4C3C2C1C0D7G2G1G0"
    "L7L6L5L4L3L2L1L0B3B2B1B0F0F1F2F3F4F5F6F7K0K1K2K3K4K5K6K7";
/** The timer output of a PWM pin (the core's digital_pin_to_timer_PGM). */
constexpr uint8_t timerOf(uint8_t pin) {
  return pin == 2 ? TIMER3B : pin == 3 ? TIMER3C : pin == 4 ? TIMER0B : pin == 5 ? TIMER3A
       : pin == 6 ? TIMER4A : pin == 7 ? TIMER4B : pin == 8 ? TIMER4C : pin == 9 ? TIMER2B
       : pin == 10 ? TIMER2A : pin == 11 ? TIMER1A : pin == 12 ? TIMER1B : pin == 13 ? TIMER0A
       : pin == 44 ? TIMER5C : pin == 45 ? TIMER5B : pin == 46 ? TIMER5A : NOT_ON_TIMER;
}
#else
constexpr char kPinMap[] = "D0D1D2D3D4D5D6D7B0B1B2B3B4B5C0C1C2C3C4C5";
constexpr uint8_t timerOf(uint8_t pin) {
  return pin == 3 ? TIMER2B : pin == 5 ? TIMER0B : pin == 6 ? TIMER0A : pin == 9 ? TIMER1A
       : pin == 10 ? TIMER1B : pin == 11 ? TIMER2A : NOT_ON_TIMER;
}
#endif
constexpr uint8_t kPins = sizeof kPinMap / 2;
static_assert(RD_LEFT_PWM < kPins && RD_LEFT_IN1 < kPins && RD_LEFT_IN2 < kPins && RD_RIGHT_PWM < kPins &&
                  RD_RIGHT_IN1 < kPins && RD_RIGHT_IN2 < kPins,
              "a motor pin this board does not have");
static_assert(timerOf(RD_LEFT_PWM) != NOT_ON_TIMER && timerOf(RD_RIGHT_PWM) != NOT_ON_TIMER,
              "RD_LEFT_PWM and RD_RIGHT_PWM must be PWM pins");

/** The pin's PORTx register (DDRx is the one below it). */
__attribute__((always_inline)) inline volatile uint8_t *portOf(uint8_t pin) {
  switch (kPinMap[2 * pin]) {
#if defined(PORTA)
    case 'A': return &PORTA;
#endif
    case 'B': return &PORTB;
    case 'C': return &PORTC;
    case 'D': return &PORTD;
#if defined(__AVR_ATmega2560__)
    case 'E': return &PORTE;
    case 'F': return &PORTF;
    case 'G': return &PORTG;
    case 'H': return &PORTH;
    case 'J': return &PORTJ;
    case 'K': return &PORTK;
    case 'L': return &PORTL;
#endif
  }
  return nullptr;
}

__attribute__((always_inline)) inline uint8_t bitOf(uint8_t pin) {
  return (uint8_t)(1u << (kPinMap[2 * pin + 1] - '0'));
}

/** A register's bit set or cleared. */
__attribute__((always_inline)) inline void regBit(volatile uint8_t *reg, uint8_t bit, bool high) {
  if (high) *reg |= bit;
  else *reg &= (uint8_t)~bit;
}

/**
 * A pin set or cleared. Ports past the sbi/cbi range (the Mega's H to L)
 * take a read-modify-write, made with interrupts off as the core does, in
 * case an interrupt handler of a library writes the same port.
 */
__attribute__((always_inline)) inline void pinSet(volatile uint8_t *reg, uint8_t bit, bool high) {
  if ((uintptr_t)reg <= 0x3F + __SFR_OFFSET) return regBit(reg, bit, high);
  uint8_t sreg = SREG;
  cli();
  regBit(reg, bit, high);
  SREG = sreg;
}

__attribute__((always_inline)) inline void pinWrite(uint8_t pin, bool high) {
  pinSet(portOf(pin), bitOf(pin), high);
}

/**
 * The PWM output on at `d` (0 < d <= 255; a timer at its top value holds
 * the pin high), or off at 0: the pin is then its port's LOW, with no
 * spike that a zero compare value leaves in fast PWM. As analogWrite does
 * (the compare value is written at 0 too, unseen while the output is off).
 */
__attribute__((always_inline)) inline void pwmWrite(uint8_t pin, uint8_t d) {
#define RD_PWM(timer, tccr, com, ocr)           \
  case timer:                                   \
    ocr = d;                                    \
    regBit(&tccr, _BV(com), d);                 \
    break;
// Output x (A, B or C) of timer n: its TIMERnx id, control register, COM bit and compare register.
#define RD_OUT(n, x) RD_PWM(TIMER##n##x, TCCR##n##A, COM##n##x##1, OCR##n##x)
  switch (timerOf(pin)) {
    RD_OUT(0, A) RD_OUT(0, B) RD_OUT(1, A) RD_OUT(1, B) RD_OUT(2, A) RD_OUT(2, B)
#if defined(__AVR_ATmega2560__)
    RD_OUT(3, A) RD_OUT(3, B) RD_OUT(3, C) RD_OUT(4, A) RD_OUT(4, B) RD_OUT(4, C)
    RD_OUT(5, A) RD_OUT(5, B) RD_OUT(5, C)
#endif
  }
#undef RD_OUT
#undef RD_PWM
}

__attribute__((always_inline)) inline void pinOut(uint8_t pin) {
  pinWrite(pin, false);
  pinSet(portOf(pin) - 1, bitOf(pin), true);  // DDRx
}
#else
inline void pinWrite(uint8_t pin, bool high) { digitalWrite(pin, high ? HIGH : LOW); }
inline void pwmWrite(uint8_t pin, uint8_t d) { analogWrite(pin, d); }
inline void pinOut(uint8_t pin) {
  digitalWrite(pin, LOW);
  pinMode(pin, OUTPUT);
}
#endif

}  // namespace

void motorsBegin() {
  pinOut(RD_LEFT_PWM), pinOut(RD_LEFT_IN1), pinOut(RD_LEFT_IN2);
  pinOut(RD_RIGHT_PWM), pinOut(RD_RIGHT_IN1), pinOut(RD_RIGHT_IN2);
}

void motorsApply(int8_t left, int8_t right) {
#if !defined(__AVR_ATmega328P__) && !defined(__AVR_ATmega2560__)
  // robotLoop() applies the drive state every loop. A register store costs
  // nothing to repeat, but an ESP core's analogWrite sets its PWM channel up
  // again at each call: through the Arduino API, only what changed is written.
  static int8_t lastLeft = 0, lastRight = 0;
  static bool written = false;
  if (written && left == lastLeft && right == lastRight) return;
  written = true, lastLeft = left, lastRight = right;
#endif
  // Direction first, so the wheel never runs the wrong way at the new duty.
  pinWrite(kLeftFwd, left > 0), pinWrite(kLeftRev, left < 0);
  pwmWrite(RD_LEFT_PWM, duty(left, dutyK(kLeftScale)));
  pinWrite(kRightFwd, right > 0), pinWrite(kRightRev, right < 0);
  pwmWrite(RD_RIGHT_PWM, duty(right, dutyK(kRightScale)));
}

}  // namespace rd
