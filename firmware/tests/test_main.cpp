// Host unit tests of the firmware's pure parts (doctest, from Debian).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
