// Random numbers for WebSocket keys and masks (RFC 6455 10.3) and backoff
// jitter. ESP32 has a hardware generator; elsewhere a xorshift generator
// seeded at boot from ADC noise and timing (platform.cpp), which is what an
// Uno has to offer. Masks only need to be unpredictable to a web page
// attacking a proxy, never secret.
#pragma once

#include <stdint.h>

namespace rd {

void seedRandom(uint32_t entropy);
uint32_t random32();
void randomBytes(uint8_t *out, uint8_t n);

}  // namespace rd
