// The robot: links, commands, failsafe, telemetry and reconnect, driven by
// robotLoop(), which never waits on the network.
#pragma once

#include <stdint.h>

namespace rd {

/** Where to connect or listen. Strings are P-strings (flash on AVR). */
struct Settings {
  const char *host;  // relay mode: the relay's host name or address
  uint16_t port;     // relay mode: its port; direct mode: the port to listen on
  const char *id;    // the robot id: /robot/<id> and hello.id
  const char *token; // "" = none
  bool direct;       // direct (server) mode; fixed by RD_MODE on boards
};

/** The settings robotSetup() will use; defaults come from config.h. Host only: on boards they are config.h's constants. */
Settings &settings();

void robotSetup();
void robotLoop();

}  // namespace rd
