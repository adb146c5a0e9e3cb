#include "sampler.h"

namespace rd {

RD_NOINLINE void Sampler::start(uint16_t rate, uint32_t now) {
  rate_ = rate;
  next_.ms = now, frac_ = 0, count_ = 0;
}

RD_BY_POINTER void Sampler::advance() {
  // next += 1000 / rate ms, keeping the remainder so no rate drifts: by
  // subtraction, with no division (at most 1000 steps of a few cycles, at 1 Hz).
  uint16_t frac = frac_ + 1000;
  uint32_t ms = next_.ms;
  while (frac >= rate_) frac -= rate_, ms++;
  frac_ = frac;
  next_.ms = ms;
  next_.seq = (next_.seq + 1) & 0x7FFFFFFF;
}

RD_BY_POINTER void Sampler::commit() {
  if (count_ == 0) first_ = next_;
  count_++;
  advance();
}

bool Sampler::due(uint32_t now) {
  // A full batch's span at the highest rate, in ms: a constant, where the
  // span at the current rate took a division every call.
  // 16 bits: next_ is at most a sample period (1 s) ahead of now, and late
  // by at most the time between two loop() calls while the link is open
  // (telemetry() runs in every one), which the watchdog keeps under 8 s on
  // a board; a loop stalled for more than 32 s would see a wrong lateness
  // (no samples until the clock caught up: a gap, as seq shows).
  constexpr int16_t window = (int16_t)((uint32_t)kBatchMax * 1000 / kRateMax);
  for (;;) {
    int16_t late = (int16_t)((uint16_t)now - (uint16_t)next_.ms);
    if (late < window) return late >= 0;
    advance();  // skipped after a stall
  }
}

}  // namespace rd
