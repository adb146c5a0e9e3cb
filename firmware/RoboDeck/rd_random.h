// Random numbers for WebSocket keys and masks (RFC 6455 4.1, 5.3) and
// backoff jitter. ESP32 has a hardware generator; elsewhere a 16-bit
// LFSR seeded at boot from ADC noise and timing
// (platform.cpp), which is what an Uno has to offer and costs a few dozen
// bytes of flash. Neither use is security-critical for a robot: the key
// only shows that the server speaks WebSocket, and masks guard browsers'
// proxies against pages that choose the payload, which no one does here.
#pragma once

#include <stdint.h>

namespace rd {

void seedRandom(uint32_t entropy);
uint16_t random16();
/** `n` random bytes, two from each random16(): `n` must be even (an odd one's last byte is left). */
void randomBytes(uint8_t *out, uint8_t n);

}  // namespace rd
