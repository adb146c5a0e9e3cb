// A config for probe/motor_check.sh: motor pins on other timers and ports,
// with invert and trim.
#define RD_LEFT_PWM 46
#define RD_LEFT_IN1 42
#define RD_LEFT_IN2 16
#define RD_LEFT_INVERT 1
#define RD_LEFT_TRIM 80
#define RD_RIGHT_PWM 6
#define RD_RIGHT_IN1 69
#define RD_RIGHT_IN2 30
#define RD_RIGHT_INVERT 0
#define RD_RIGHT_TRIM 100
#include "common.h"
