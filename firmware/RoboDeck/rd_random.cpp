#include "rd_random.h"

#include "rd_config.h"

#if defined(ESP32)
#include <esp_system.h>
#endif

namespace rd {

static uint16_t state = 0xACE1u;  // never 0: the LFSR would stay there

void seedRandom(uint32_t entropy) {
#if !defined(ROBODECK_HOST)
  // A direct-mode board draws no random numbers: a server sends no key, masks
  // nothing and has no reconnect jitter. (The host runs both roles.)
  if (kDirectMode) return;
#endif
  // The entropy's halves folded, forced odd so never 0 (15 bits of seed); the
  // state before, a constant at boot, would add nothing.
  state = (uint16_t)(entropy ^ entropy >> 16) | 1;
}

uint16_t random16() {
#if defined(ESP32)
  return (uint16_t)esp_random();
#else
  // A Galois LFSR (x^16 + x^5 + x^3 + x^2 + 1, the mirror of x^16 + x^14 +
  // x^13 + x^11 + 1): period 2^16 - 1, a shift and an xor a step; 16 steps
  // make all of the next value. Shifted left, as the bit out is then the
  // sign bit, which an AVR tests in one instruction.
  uint16_t x = state;
  for (uint8_t i = 16; i--;) {
    bool out = (int16_t)x < 0;
    x = (uint16_t)(x << 1);
    if (out) x ^= 0x002Du;
  }
  return state = x;
#endif
}

// Left to LTO: two values a mask, it is cheaper in the link's one call.
void randomBytes(uint8_t *out, uint8_t n) {
  for (n /= 2; n--;) {  // two bytes a value, so n must be even (the masks' 4)
    uint16_t r = random16();
    *out++ = (uint8_t)r;
    *out++ = (uint8_t)(r >> 8);
  }
}

}  // namespace rd
