// How far a target's running full sync has come, as its plugin reports it, with rate and ETA from samples.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>

namespace fsrelay {

// Counts as the plugin reports them (sdk::Progress, without the SDK's types).
struct ProgressCounts {
  std::uint64_t filesDone = 0;
  std::uint64_t filesTotal = 0;  // 0: unknown
  std::uint64_t bytesDone = 0;
  std::uint64_t bytesTotal = 0;  // 0: unknown
  bool totalsFinal = false;      // false while the file list still grows
};

// One look at a sync: what the engine's progress line, /status and /metrics show.
struct ProgressView {
  bool running = false;
  bool reported = false;        // the plugin reported at least once during this sync
  std::uint64_t generation = 0; // counts syncs begun: tells one sync from the next
  ProgressCounts counts;
  std::int64_t elapsedMs = 0;   // since begin(); for a finished sync, its whole length
  double bytesPerSecond = 0;    // over the last kWindowMs
  double filesPerSecond = 0;
  std::int64_t etaMs = -1;      // -1: unknown (no rate yet, or the totals still grow)
  int percent = -1;             // files done of total, 0..100; -1: unknown
  bool ok = false;              // a finished sync succeeded
};

// Thread-safe: the plugin's thread reports, the target's worker begins and ends, the engine and status
// requests look. Times are milliseconds of a monotonic clock passed in, so tests drive it with a fake one.
class SyncProgress {
 public:
  // Rates are measured over this much recent time: smooth enough to read, recent enough to follow changes.
  static constexpr std::int64_t kWindowMs = 20000;

  void begin(std::int64_t nowMs);
  void update(const ProgressCounts& counts, std::int64_t nowMs);  // ignored while no sync runs
  void end(std::int64_t nowMs, bool ok);
  ProgressView view(std::int64_t nowMs) const;

 private:
  struct Sample {
    std::int64_t ms;
    std::uint64_t files;
    std::uint64_t bytes;
  };

  mutable std::mutex mutex_;
  bool running_ = false;
  bool reported_ = false;
  bool ok_ = false;
  std::uint64_t generation_ = 0;
  std::int64_t startMs_ = 0;
  std::int64_t endMs_ = 0;
  ProgressCounts counts_;
  std::deque<Sample> samples_;  // oldest first, pruned to the window (and a minimum of two)
};

}  // namespace fsrelay
