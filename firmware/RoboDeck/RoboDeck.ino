// RoboDeck robot firmware: drive it and watch its sensors from the RoboDeck
// app, directly or through robodeck-relay. Edit config.h, then build and
// upload (docs/firmware.md). The sources beside this file do the work;
// firmware/Makefile builds the very same sources for the host and tests.
#include <Arduino.h>

#include "robot.h"

void setup() { rd::robotSetup(); }

void loop() { rd::robotLoop(); }
