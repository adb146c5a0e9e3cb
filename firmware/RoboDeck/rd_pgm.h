// Flash-string access that compiles the same on AVR, ESP and the host.
//
// On AVR, constant text must live in flash (PROGMEM) or it is copied into
// the 2 KB of RAM at boot; it is then read with pgm_read_byte. ESP cores
// and the host shim provide the same names, so the code reads the same
// everywhere. A "P-string" below is a `const char *` in that space.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVR__)
#include <avr/pgmspace.h>
#elif defined(ESP8266) || defined(ESP32)
#include <pgmspace.h>
#else
#ifndef PROGMEM
#define PROGMEM
#define PSTR(s) (s)
#define pgm_read_byte(p) (*(const uint8_t *)(p))
#define memcpy_P memcpy
#endif
#ifndef strlen_P
#include <strings.h>
#define strlen_P strlen
#define strcmp_P strcmp
#define strncmp_P strncmp
#define strcasecmp_P strcasecmp
#define strncasecmp_P strncasecmp
#define strchr_P strchr
#endif
#endif

// Keeps a function out of line where LTO's -Os inlining would copy it into
// every caller (measured: it then costs more flash than the call).
#if defined(__GNUC__)
#define RD_NOINLINE __attribute__((noinline))
#else
#define RD_NOINLINE
#endif

// Out of line, and not specialised for a constant object by LTO: a member
// function then reaches its fields through the pointer it is passed (two
// bytes an access within 63 bytes of it) rather than at their addresses
// (four bytes an access).
#if defined(__GNUC__) && !defined(__clang__)
#define RD_BY_POINTER __attribute__((noinline, noclone))
#else
#define RD_BY_POINTER RD_NOINLINE
#endif

// Makes the compiler forget what it knows about the value of `v` (a
// variable), so the arithmetic that follows stays as written: a multiply
// by 10 as shifts and adds, which it would otherwise fold back into a call
// of a routine only we would link (__muluhisi3, 52 B with its helper on AVR).
#if defined(__GNUC__)
#define RD_OPAQUE(v) __asm__("" : "+r"(v))
#else
#define RD_OPAQUE(v) (void)(v)
#endif

namespace rd {

/** Byte `i` of the P-string `p`. */
inline char pchar(const char *p, uint16_t i) { return (char)pgm_read_byte(p + i); }

/**
 * The byte at `p` in flash, `p` stepped past it: on AVR one `lpm Z+`, where
 * GCC keeps a copy of the pointer and steps it by hand.
 */
inline uint8_t pnext(const char *&p) {
#if defined(__AVR__)
  uint8_t c;
  __asm__("lpm %0, Z+" : "=r"(c), "+z"(p));
  return c;
#else
  return (uint8_t)pgm_read_byte(p++);
#endif
}

/** Case-insensitive ASCII lower-casing, without <ctype.h> tables. */
inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

}  // namespace rd
