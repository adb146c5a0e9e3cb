#include "drive_state.h"

namespace rd {

bool DriveState::drive(int8_t l, int8_t r, int32_t seq, uint32_t now, bool always) {
  if (!always && seq <= applied_.ack) return false;  // stale: a newer command was already applied
  applied_.left = l, applied_.right = r, applied_.ack = seq;
  lastDrive_ = (uint16_t)now;
  return true;
}

bool DriveState::expire(uint32_t now, uint16_t timeout) {
  if ((uint16_t)((uint16_t)now - lastDrive_) < timeout) return false;
  // Stopped again every loop from here on (and between the 16-bit clock's
  // wraps): harmless, and a build without a log needs no test for it.
  bool moving = applied_.left | applied_.right;
  applied_.left = applied_.right = 0;
  return moving;
}

}  // namespace rd
