// Request pacing for the refreshcdn plugin: at most N requests per second, evenly spaced (header-only, pure).
#pragma once

#include <chrono>
#include <cstdint>

namespace fsrelay::refreshcdn {

// Strict spacing rather than a bucket with bursts: purge APIs count requests per second, and a burst after
// an idle minute is exactly what gets a client throttled. Not thread-safe (one instance, one thread).
class Pacer {
 public:
  using Clock = std::chrono::steady_clock;

  // perSecond 0: no limit.
  explicit Pacer(std::uint32_t perSecond)
      : interval_(perSecond == 0 ? Clock::duration::zero()
                                 : std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1)) / perSecond) {}

  // Books the next slot and returns when it starts: now, or later when the previous request was too recent.
  Clock::time_point reserve(Clock::time_point now) {
    if (interval_ == Clock::duration::zero()) return now;
    const Clock::time_point slot = next_ > now ? next_ : now;
    next_ = slot + interval_;
    return slot;
  }

  Clock::duration interval() const { return interval_; }

 private:
  Clock::duration interval_;
  Clock::time_point next_{};
};

}  // namespace fsrelay::refreshcdn
