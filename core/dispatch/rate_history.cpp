// Counts per time bucket in a fixed ring: what the status page's rate chart draws.
#include "core/dispatch/rate_history.hpp"

#include <algorithm>

namespace fsrelay {

RateHistory::RateHistory(std::size_t bucketCount, std::int64_t bucketMs)
    : bucketMs_(std::max<std::int64_t>(1, bucketMs)), counts_(std::max<std::size_t>(1, bucketCount), 0) {}

void RateHistory::advanceLocked(std::int64_t bucket) {
  if (current_ < 0 || bucket - current_ >= static_cast<std::int64_t>(counts_.size())) {
    std::fill(counts_.begin(), counts_.end(), 0);
  } else {
    for (std::int64_t b = current_ + 1; b <= bucket; ++b) counts_[static_cast<std::size_t>(b) % counts_.size()] = 0;
  }
  current_ = std::max(current_, bucket);
}

void RateHistory::add(std::int64_t nowMs, std::uint64_t n) {
  std::lock_guard lock(mutex_);
  const std::int64_t bucket = std::max<std::int64_t>(0, nowMs) / bucketMs_;
  advanceLocked(bucket);
  // A time older than the newest bucket (a caller's clock read a moment earlier) lands in the newest one.
  counts_[static_cast<std::size_t>(current_) % counts_.size()] += n;
}

void RateHistory::observe(std::int64_t nowMs, std::uint64_t cumulative) {
  std::uint64_t delta = 0;
  {
    std::lock_guard lock(mutex_);
    if (observed_ && cumulative > lastCumulative_) delta = cumulative - lastCumulative_;
    observed_ = true;
    lastCumulative_ = cumulative;
  }
  add(nowMs, delta);
}

std::vector<std::uint64_t> RateHistory::series(std::int64_t nowMs) const {
  std::lock_guard lock(mutex_);
  const std::size_t n = counts_.size();
  std::vector<std::uint64_t> out(n, 0);
  if (current_ < 0) return out;
  const std::int64_t now = std::max(current_, std::max<std::int64_t>(0, nowMs) / bucketMs_);
  // out[n-1] is the bucket of now; buckets newer than current_ had nothing.
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t bucket = now - static_cast<std::int64_t>(n - 1 - i);
    if (bucket < 0 || bucket > current_ || current_ - bucket >= static_cast<std::int64_t>(n)) continue;
    out[i] = counts_[static_cast<std::size_t>(bucket) % n];
  }
  return out;
}

}  // namespace fsrelay
