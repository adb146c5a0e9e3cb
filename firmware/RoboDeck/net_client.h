// The network's client class, defined (platform.h only names it): for the
// files that make, copy or call one.
#pragma once

#include "platform.h"

#if defined(ROBODECK_HOST)
#include "host_net.h"
#elif defined(ROBODECK_PROBE)
#include "probe_net.h"
#elif !defined(ESP32) && !defined(ESP8266)  // the WiFi cores' came with platform.h
#include <Ethernet.h>
#endif
