// robodeck-fw: the firmware's own sources running on Linux as a virtual
// robot that the app and the relay can drive.
//
//   robodeck-fw --relay ws://HOST:PORT [--id ID] [--token TOKEN]
//   robodeck-fw --listen HOST:PORT [--token TOKEN]
//
// stdout gets the firmware's status lines and one line per change of the
// motor outputs as decoded from the recorded pins:
//   motors <left> <right> latency_us=<from the socket wake-up to the pin write>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Arduino.h"
#include "host_hw.h"
#include "host_net.h"
#include "rd_config.h"
#include "robot.h"

namespace {

volatile sig_atomic_t quit = 0;

void usage() {
  fprintf(stderr,
          "usage: robodeck-fw (--relay ws://HOST:PORT | --listen HOST:PORT)"
          " [--id ID] [--token TOKEN]\n");
  exit(2);
}

/** Splits "HOST:PORT" (into a copy); returns false if it is not that. */
bool hostPort(const char *arg, const char **host, uint16_t *port) {
  char *s = strdup(arg);  // lives as long as the process, like a config string
  char *colon = strrchr(s, ':');
  if (!colon || colon == s) return false;
  *colon = 0;
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if ((*end && strcmp(end, "/") != 0) || p < 0 || p > 65535) return false;
  *host = s, *port = (uint16_t)p;
  return true;
}

/** Percent of one motor side, decoded from its pins as a driver board sees them. */
int side(uint8_t pwm, uint8_t in1, uint8_t in2, bool invert, int trim) {
  int duty = hostPinPwm(pwm);
  int magnitude = (duty * 10000 + 255 * trim / 2) / (255 * trim);
  int sign = hostPinLevel(in1) ? 1 : hostPinLevel(in2) ? -1 : 0;
  return (invert ? -sign : sign) * magnitude;
}

void reportMotors() {
  static int left = 0, right = 0;
  int l = side(RD_LEFT_PWM, RD_LEFT_IN1, RD_LEFT_IN2, RD_LEFT_INVERT, RD_LEFT_TRIM);
  int r = side(RD_RIGHT_PWM, RD_RIGHT_IN1, RD_RIGHT_IN2, RD_RIGHT_INVERT, RD_RIGHT_TRIM);
  if (l == left && r == right) return;
  left = l, right = r;
  printf("motors %d %d latency_us=%u\n", l, r, hostLastPinWriteUs() - hostLastWakeUs());
  fflush(stdout);
}

void parse(int argc, char **argv, rd::Settings &s) {
  bool mode = false;
  for (int i = 1; i < argc; i++) {
    const char *opt = argv[i];
    if (i + 1 >= argc) usage();
    char *arg = argv[++i];
    if (!strcmp(opt, "--relay") && !strncmp(arg, "ws://", 5)) {
      if (!hostPort(arg + 5, &s.host, &s.port)) usage();
      s.direct = false, mode = true;
    } else if (!strcmp(opt, "--listen")) {
      const char *host;
      if (!hostPort(arg, &host, &s.port)) usage();
      hostSetListenAddress(host);
      s.direct = true, mode = true;
    } else if (!strcmp(opt, "--id")) {
      // It goes into a URL path and a JSON string unescaped, as on a board.
      if (!*arg || strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
                       strlen(arg))
        usage();
      s.id = arg;
    } else if (!strcmp(opt, "--token")) {
      s.token = arg;
    } else {
      usage();
    }
  }
  if (!mode) usage();
}

}  // namespace

int main(int argc, char **argv) {
  parse(argc, argv, rd::settings());
  signal(SIGTERM, [](int) { quit = 1; });
  signal(SIGINT, [](int) { quit = 1; });
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, nullptr, _IOLBF, 0);
  rd::robotSetup();
  while (!quit) {
    rd::robotLoop();
    reportMotors();
    hostWaitIo(1);
  }
  printf("exit\n");
  return 0;
}
