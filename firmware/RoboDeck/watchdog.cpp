#include "watchdog.h"

#if defined(__AVR__)
#include <avr/io.h>
#include <avr/wdt.h>

// After a watchdog reset the watchdog stays on at its shortest period; an
// old bootloader (the Mega's) does not clear it, and the board would reset
// again before setup() ran: a boot loop. So clear it before main() runs.
extern "C" void rdWatchdogOff() __attribute__((naked, used, section(".init3")));
extern "C" void rdWatchdogOff() {
  MCUSR = 0;
  wdt_disable();
}

namespace rd {
void watchdogStart() { wdt_enable(WDTO_8S); }
void watchdogFeed() { wdt_reset(); }
}  // namespace rd

#else

namespace rd {
void watchdogStart() {}
void watchdogFeed() {}
}  // namespace rd

#endif
