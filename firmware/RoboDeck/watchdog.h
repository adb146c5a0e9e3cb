// The AVR watchdog: a hung board resets itself. No-op elsewhere (ESP cores
// run their own watchdogs, fed each time loop() returns).
#pragma once

namespace rd {

/** Start the watchdog (8 s: above the network library's blocking calls). */
void watchdogStart();
/** Called every loop. */
void watchdogFeed();

}  // namespace rd
