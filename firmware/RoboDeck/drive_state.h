// The safety rules of docs/protocol.md as a small state machine on a clock
// passed in, so the failsafe is tested on a fake clock.
//
// - motors are off at boot and after every link loss, until a fresh drive;
// - a drive is applied only if its seq is newer than the last applied one;
// - stop is always applied and sets the last applied seq;
// - motors go off when no drive has been applied for `timeout` ms.
#pragma once

#include <stdint.h>
#include <string.h>

namespace rd {

class DriveState {
 public:
  /** Boot or link loss: motors off, and the next link starts from seq 0. */
  void reset() { memset(&applied_, 0, sizeof applied_); }  // a loop: fewer bytes than a store each
  /** Returns true if the drive was applied: its seq is newer, or `always` (a stop). */
  bool drive(int8_t l, int8_t r, int32_t seq, uint32_t now, bool always = false);
  /** Always applied, whatever its seq. */
  void stop(int32_t seq) { drive(0, 0, seq, lastDrive_, true); }
  /** Returns true if this call stopped the motors because no drive came for `timeout` ms. */
  bool expire(uint32_t now, uint16_t timeout);

  int8_t left() const { return applied_.left; }
  int8_t right() const { return applied_.right; }
  /** The seq of the last drive or stop applied (tel.ack). */
  int32_t ack() const { return applied_.ack; }

  // What is applied, public for the `tel` writer; change it through the calls above.
  // All zero at boot (the timeout is the caller's), so a static DriveState
  // lives in .bss and costs no flash for an initial image.
  struct Applied {
    int8_t left, right;
    int32_t ack;
  } applied_ = {};
  // 16 bits: the timeout is at most 10 s and expire() runs every loop (the
  // watchdog resets a loop stuck for 8 s), so the wrap at 65 s never shows.
  uint16_t lastDrive_ = 0;
};

}  // namespace rd
