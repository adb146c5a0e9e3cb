// The failsafe and the sample schedule, on a fake clock.
#include <doctest/doctest.h>

#include <initializer_list>

#include "drive_state.h"
#include "sampler.h"

TEST_CASE("failsafe: motors off exactly at the timeout after the last drive") {
  rd::DriveState d;
  CHECK(d.drive(60, 60, 1, 1000));
  CHECK_FALSE(d.expire(1499, 500));
  CHECK(d.left() == 60);
  CHECK(d.drive(50, 40, 2, 1400));  // a fresh drive restarts the timeout
  CHECK_FALSE(d.expire(1899, 500));
  CHECK(d.expire(1900, 500));
  CHECK((d.left() == 0 && d.right() == 0));
  CHECK_FALSE(d.expire(5000, 500));  // already stopped: nothing more to do
  CHECK(d.ack() == 2);          // the failsafe does not forget what was applied
}

TEST_CASE("failsafe: once stopped, later calls keep the motors off and report nothing") {
  rd::DriveState d;
  d.drive(40, -40, 1, 1000);
  CHECK(d.expire(1500, 500));
  for (uint32_t now : {1501u, 30000u, 1000u + 65536u + 100u, 1000u + 65536u + 600u}) {
    CAPTURE(now);  // the third is inside the 16-bit clock's wrap of the last drive time
    CHECK_FALSE(d.expire(now, 500));
    CHECK((d.left() == 0 && d.right() == 0 && d.ack() == 1));
  }
}

TEST_CASE("failsafe: works across the 49-day wrap of millis()") {
  rd::DriveState d;
  CHECK(d.drive(10, 10, 1, 0xFFFFFF00u));
  CHECK_FALSE(d.expire(0xFFFFFF00u + 499, 500));
  CHECK(d.expire(0xFFFFFF00u + 500, 500));  // wraps past zero
}

TEST_CASE("failsafe: a changed timeout applies to the running drive") {
  rd::DriveState d;
  d.drive(10, 10, 1, 0);
  CHECK(d.expire(100, 100));
}

TEST_CASE("latest wins: stale and repeated seqs are ignored, stop always applies") {
  rd::DriveState d;
  CHECK_FALSE(d.drive(50, 50, 0, 0));  // seq 0 is not newer than a fresh link's 0
  CHECK(d.drive(50, 50, 5, 0));
  CHECK_FALSE(d.drive(-50, -50, 4, 10));
  CHECK_FALSE(d.drive(-50, -50, 5, 10));
  CHECK((d.left() == 50 && d.ack() == 5));
  d.stop(3);  // always applied, whatever its seq
  CHECK((d.left() == 0 && d.ack() == 3));
  CHECK(d.drive(20, 20, 4, 20));  // newer than the stop
  d.stop(0);                      // the relay's stop on a change of operator
  CHECK(d.ack() == 0);
  CHECK(d.drive(30, 30, 1, 30));
}

TEST_CASE("link loss: stopped, and the next link starts from seq 0") {
  rd::DriveState d;
  d.drive(70, -70, 900, 0);
  d.reset();
  CHECK((d.left() == 0 && d.right() == 0 && d.ack() == 0));
  CHECK(d.drive(10, 10, 1, 5));
}

namespace {

/** Runs the sampler from `from` to `to` ms as the robot loop does, every `step` ms. */
uint32_t run(rd::Sampler &s, uint32_t from, uint32_t to, uint32_t step, uint32_t &batches) {
  uint32_t samples = 0;
  for (uint32_t now = from; now <= to; now += step) {
    for (;;) {
      if (s.count() && s.ready()) batches++, s.clear();  // a batch goes as soon as it spans the period or is full
      if (!s.due(now)) break;
      s.row()[0] = (uint16_t)now;
      s.commit();
      samples++;
    }
  }
  return samples;
}

/** The samples a loop at `now` takes after a stall, up to a full batch. */
uint32_t catchUp(rd::Sampler &s, uint32_t now) {
  uint32_t taken = 0;
  for (; s.due(now) && !s.full(); taken++) s.commit();
  return taken;
}

}  // namespace

TEST_CASE("sampler: exact count at rates that do not divide 1000") {
  for (uint16_t rate : {1, 3, 7, 50, 300, 999, 1000}) {
    CAPTURE(rate);
    rd::Sampler s;
    s.start(rate, 0);
    uint32_t batches = 0;
    // 10 s on a loop that runs every 1 ms: samples at t = 0 .. 9999 ms.
    CHECK(run(s, 0, 9999, 1, batches) == rate * 10u);
    if (rate == 1000) CHECK(batches == 10000 / rd::kTelPeriodMs);  // each spans the period exactly
  }
}

TEST_CASE("sampler: a slow loop catches up without gaps; a stall leaves an exact gap") {
  rd::Sampler s;
  s.start(1000, 0);
  uint32_t batches = 0;
  CHECK(run(s, 0, 999, 7, batches) == 995);  // every sample due by t = 994 ms
  CHECK(batches == 995 / rd::kTelPeriodMs);   // a batch per period, not per loop call
  // Stall for 1 s: samples a batch late (at the highest rate) are skipped.
  rd::Sampler t;
  t.start(1000, 0);
  uint32_t taken = catchUp(t, 1000);
  CHECK(taken == rd::kBatchMax);
  CHECK(t.firstSeq() == 1000 - rd::kBatchMax + 1);  // seq says how many were skipped
  CHECK(t.firstMs() == 1000 - rd::kBatchMax + 1);
  // A 30 s stall (more than the watchdog lets a board's loop stop), still
  // within the 32 s the schedule's 16-bit lateness covers.
  rd::Sampler w;
  w.start(1000, 0);
  taken = catchUp(w, 30000);
  CHECK(taken == rd::kBatchMax);
  CHECK(w.firstSeq() == 30000 - rd::kBatchMax + 1);
  // At a lower rate the window is the same time, kBatchMax samples at the
  // highest rate: fewer samples than a batch are caught up.
  constexpr uint32_t window = rd::kBatchMax * 1000u / rd::kRateMax;
  static_assert(window < 1000, "the test stalls for 1 s");
  rd::Sampler u;
  u.start(100, 0);
  taken = catchUp(u, 1000);
  const uint32_t first = (1000 - window) / 10 * 10 + 10;  // the first sample under `window` ms late
  CHECK(u.firstMs() == first);
  CHECK(u.firstSeq() == first / 10);
  CHECK(taken == (1000 - first) / 10 + 1);
  CHECK(taken < rd::kBatchMax);
}

TEST_CASE("sampler: batches of about kTelPeriodMs, stamped with the first sample") {
  rd::Sampler s;
  s.start(1000, 5000);
  for (uint32_t now = 5000; !(s.count() && s.ready()); now++) {
    while (s.due(now)) s.commit();
  }
  CHECK(s.count() == 1000 * rd::kTelPeriodMs / 1000);
  CHECK(s.firstMs() == 5000);
  rd::Sampler slow;
  slow.start(1, 0);
  slow.commit();
  CHECK(slow.ready());  // a 1 Hz robot sends every sample
}
