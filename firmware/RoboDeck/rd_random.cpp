#include "rd_random.h"

#if defined(ESP32)
#include <esp_system.h>
#endif

namespace rd {

static uint32_t state = 0x9E3779B9u;

void seedRandom(uint32_t entropy) {
  state ^= entropy;
  if (!state) state = 0x9E3779B9u;
  random32();
}

uint32_t random32() {
#if defined(ESP32)
  return esp_random();
#else
  // Marsaglia xorshift32: full period, a few instructions.
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
#endif
}

void randomBytes(uint8_t *out, uint8_t n) {
  uint32_t r = 0;
  for (uint8_t i = 0; i < n; i++) {
    if ((i & 3) == 0) r = random32();
    out[i] = (uint8_t)r;
    r >>= 8;
  }
}

}  // namespace rd
