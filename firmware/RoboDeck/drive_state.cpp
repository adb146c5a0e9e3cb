#include "drive_state.h"

namespace rd {

bool DriveState::drive(int8_t l, int8_t r, int32_t seq, uint32_t now, bool always) {
  if (!always && seq <= ack_) return false;  // stale: a newer command was already applied
  left_ = l, right_ = r, ack_ = seq;
  lastDrive_ = (uint16_t)now;
  return true;
}

bool DriveState::expire(uint32_t now) {
  if (!(left_ | right_) || (uint16_t)((uint16_t)now - lastDrive_) < timeout) return false;
  left_ = right_ = 0;
  return true;
}

}  // namespace rd
