#!/bin/sh
# Compare rd::motorsApply's register writes with the Arduino core's pin
# functions under simavr (probe/motor_check.cpp), for the Uno and the Mega
# with config.h's pins and with each variant in probe/motor_configs/, then
# once with a reference one step off, which must be caught.
#   probe/motor_check.sh <build dir> <core dir>
set -eu
build=$1 core=$2
command -v simavr >/dev/null || { echo "avr-motor-check needs simavr (Debian: apt-get install simavr)" >&2; exit 1; }

# run <board> <config or ""> <extra define or ""> -> prints "checks=N bad=M"
run() {
  board=$1 config=$2 extra=$3
  case $board in
    uno) mcu=atmega328p variant=standard def=-DARDUINO_AVR_UNO ;;
    mega) mcu=atmega2560 variant=mega def=-DARDUINO_AVR_MEGA2560 ;;
  esac
  out=$build/avr/$board/motor-check-${config:-default}${extra:+-negative}
  mkdir -p "$out"
  for f in probe/motor_check.cpp RoboDeck/motors.cpp; do
    avr-g++ -c -Os -Wall -Wextra -flto -mmcu=$mcu -DF_CPU=16000000L -DARDUINO=10807 \
      -DARDUINO_ARCH_AVR -DDECIMAL_DIG=__DECIMAL_DIG__ $def $extra \
      ${config:+-DRD_CONFIG_FILE=\"$PWD/probe/motor_configs/$config.h\"} \
      -I"$core/cores/arduino" -I"$core/variants/$variant" -IRoboDeck \
      -std=gnu++11 -fno-exceptions -fno-threadsafe-statics "$f" -o "$out/$(basename "$f").o"
  done
  avr-gcc -Os -flto -mmcu=$mcu "$out"/*.o "$build/avr/$board/core.a" -lm -o "$out/check.elf"
  timeout 120 simavr -m $mcu -f 16000000 "$out/check.elf" 2>&1 \
    | sed -n 's/^.*motorcheck \(checks=[0-9]* bad=[0-9]*\).*$/\1/p' | head -n 1
}

failed=0
for case in uno: uno:uno_b uno:uno_c mega: mega:mega_a mega:mega_b; do
  board=${case%%:*} config=${case#*:}
  result=$(run "$board" "$config" "")
  echo "motor-check $board ${config:-config.h} $result"
  case $result in *" bad=0") ;; *) failed=1 ;; esac
done
result=$(run uno "" -DMOTOR_CHECK_NEGATIVE)
echo "motor-check uno config.h, reference one step off (must differ): $result"
case $result in *" bad=0"|"") failed=1 ;; esac
[ $failed = 0 ] || { echo "motor-check: the register writes differ from the core's" >&2; exit 1; }
