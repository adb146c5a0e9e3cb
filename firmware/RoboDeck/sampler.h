// Analog sampling on a fixed schedule, batched for `tel`.
//
// Sample times follow the rate exactly (integer ms plus a remainder, so
// 300 Hz does not drift), whatever the loop's timing; the batch's `ms` is
// the scheduled time of its first sample. `seq` counts samples, so when the
// robot must skip some (the link was slow or down), the app sees the gap.
#pragma once

#include <stdint.h>

#include "rd_config.h"

namespace rd {

/** The schedule and the batch; the fields are read by the `tel` writer. */
class Sampler {
 public:
  /** A point of the schedule: a sample's seq and its time. */
  struct Point {
    uint32_t seq, ms;
  };

  /** (Re)start the schedule at `now`; a pending batch is discarded. */
  void start(uint16_t rate, uint32_t now);
  /**
   * Is a sample due at `now`? Samples kBatchMax * 1000 / kRateMax ms late or
   * more (a batch at the highest rate: 100 ms on the Uno) are skipped first,
   * so a catch-up is at most a batch at any rate (seq shows the gap).
   */
  bool due(uint32_t now);  // `now` within 32 s of the schedule (sampler.cpp)
  bool full() const { return count_ == kBatchMax; }
  /**
   * A batch worth a `tel`: it spans kTelPeriodMs (rate * kTelPeriodMs / 1000
   * samples, at least one), or it is full. 16 bits: a batch spans at most
   * kBatchMax samples of at most 1 s. An empty batch may be "ready" too (its
   * first_ is an old one's): the robot's sendTel() sends nothing then, so
   * the count is not tested twice.
   */
  bool ready() const {
    return (uint16_t)((uint16_t)next_.ms - (uint16_t)first_.ms) >= kTelPeriodMs || full();
  }
  /** The row for the sample due now; fill it, then call commit(). */
  uint16_t *row() { return rows_[count_]; }
  void commit();
  /** Empty the batch after it was sent. */
  void clear() { count_ = 0; }

  uint8_t count() const { return count_; }
  uint32_t firstSeq() const { return first_.seq; }
  uint32_t firstMs() const { return first_.ms; }
  uint16_t rate() const { return rate_; }

  // Public for the `tel` writer (msg_write.cpp). All zero until start(): a
  // static Sampler then lives in .bss and costs no flash for an initial
  // image (start() comes before any other call).
  // The scalars first, where one instruction reaches them from the object's address.
  Point next_ = {}, first_ = {};  // the next sample due; the batch's first
  uint16_t rate_ = 0, frac_ = 0;
  uint8_t count_ = 0;
  uint16_t rows_[kBatchMax][kChannels] = {};

 private:
  void advance();
};

}  // namespace rd
