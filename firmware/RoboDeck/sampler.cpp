#include "sampler.h"

namespace rd {

void Sampler::start(uint16_t rate, uint32_t now) {
  rate_ = rate;
  next_.ms = now, frac_ = 0, count_ = 0;
  // In 16 bits: a period that divides a second (the usual) needs no 32-bit division.
  uint16_t target = 1000 % kTelPeriodMs == 0 ? rate / (1000 / kTelPeriodMs)
                                             : (uint16_t)((uint32_t)rate * kTelPeriodMs / 1000);
  target_ = (uint8_t)(target < 1 ? 1 : target > kBatchMax ? kBatchMax : target);
}

void Sampler::advance() {
  // next += 1000 / rate ms, keeping the remainder so no rate drifts: by
  // subtraction, with no division (at most 1000 steps of a few cycles, at 1 Hz).
  frac_ += 1000;
  uint16_t ms = 0;
  while (frac_ >= rate_) frac_ -= rate_, ms++;
  next_.ms += ms;
  next_.seq = (next_.seq + 1) & 0x7FFFFFFF;
}

void Sampler::commit() {
  if (count_ == 0) first_ = next_;
  count_++;
  advance();
}

void Sampler::skipTo(uint32_t now) {
  int32_t window = (int32_t)((uint32_t)kBatchMax * 1000 / rate_);
  while ((int32_t)(now - next_.ms) >= window) advance();
}

}  // namespace rd
