// A bounded history of how many things happened per time bucket (changes delivered, events), for charts.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace fsrelay {

// Thread-safe ring of counts per bucket of bucketMs, the last bucketCount buckets; times are milliseconds
// of a monotonic clock passed in (a fake one in tests). Small and fixed: 60 buckets cost 480 bytes.
class RateHistory {
 public:
  static constexpr std::size_t kBuckets = 60;
  static constexpr std::int64_t kBucketMs = 10000;

  explicit RateHistory(std::size_t bucketCount = kBuckets, std::int64_t bucketMs = kBucketMs);

  void add(std::int64_t nowMs, std::uint64_t n);
  // For a cumulative counter read now and then: adds what it grew by since the last observe(). The first
  // call only sets the base (what happened before it is no rate).
  void observe(std::int64_t nowMs, std::uint64_t cumulative);
  // The counts of the last bucketCount buckets, oldest first; the last is the current (still filling) one.
  std::vector<std::uint64_t> series(std::int64_t nowMs) const;
  std::int64_t bucketMs() const { return bucketMs_; }

 private:
  // Moves the ring forward to the bucket of nowMs, zeroing the buckets skipped.
  void advanceLocked(std::int64_t bucket);

  mutable std::mutex mutex_;
  const std::int64_t bucketMs_;
  std::vector<std::uint64_t> counts_;
  std::int64_t current_ = -1;  // bucket number (nowMs / bucketMs) of the newest slot; -1: none yet
  bool observed_ = false;
  std::uint64_t lastCumulative_ = 0;
};

}  // namespace fsrelay
