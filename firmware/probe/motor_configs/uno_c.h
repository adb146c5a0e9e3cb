// A config for probe/motor_check.sh: motor pins on other timers and ports,
// with invert and trim.
#define RD_LEFT_PWM 10
#define RD_LEFT_IN1 14
#define RD_LEFT_IN2 4
#define RD_LEFT_INVERT 1
#define RD_LEFT_TRIM 80
#define RD_RIGHT_PWM 3
#define RD_RIGHT_IN1 12
#define RD_RIGHT_IN2 19
#define RD_RIGHT_INVERT 0
#define RD_RIGHT_TRIM 100
#include "common.h"
