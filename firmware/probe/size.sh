#!/bin/sh
# Prints "size <board> <mode> flash=N ram=N over_baseline_flash=N
# over_baseline_ram=N" for each probe ELF, and fails when the robot costs
# more than the budget over the bare baseline on the Uno (atmega328p).
set -eu
dir=$1 boards=$2 modes=$3 budget_flash=$4 budget_ram=$5

# flash ram of an ELF: .text + .data, .data + .bss
measure() {
  avr-size -A "$1" | awk '$1==".text"{t=$2} $1==".data"{d=$2} $1==".bss"{b=$2}
                          END{print t+d, d+b}'
}

status=0
for board in $boards; do
  set -- $(measure "$dir/$board/baseline.elf")
  base_flash=$1 base_ram=$2
  for mode in $modes; do
    set -- $(measure "$dir/$board/probe-$mode.elf")
    over_flash=$(($1 - base_flash)) over_ram=$(($2 - base_ram))
    echo "size $board $mode flash=$1 ram=$2 over_baseline_flash=$over_flash over_baseline_ram=$over_ram"
    if [ "$board" = uno ] && { [ $over_flash -gt "$budget_flash" ] || [ $over_ram -gt "$budget_ram" ]; }; then
      echo "budget exceeded: uno $mode may add $budget_flash B flash and $budget_ram B RAM" >&2
      status=1
    fi
  done
  if [ -f "$dir/$board/relay-ethernet.elf" ]; then
    set -- $(measure "$dir/$board/relay-ethernet.elf")
    eth_flash=$1 eth_ram=$2
    set -- $(measure "$dir/$board/baseline-ethernet.elf")
    echo "size $board relay-ethernet flash=$eth_flash ram=$eth_ram" \
         "over_baseline_flash=$((eth_flash - $1)) over_baseline_ram=$((eth_ram - $2))"
  fi
done
exit $status
