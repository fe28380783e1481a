// Rate and ETA of a running full sync from the progress samples its plugin reported.
#include "core/dispatch/sync_progress.hpp"

#include <algorithm>
#include <cmath>

namespace fsrelay {

void SyncProgress::begin(std::int64_t nowMs) {
  std::lock_guard lock(mutex_);
  running_ = true;
  reported_ = false;
  ok_ = false;
  ++generation_;
  startMs_ = nowMs;
  endMs_ = 0;
  counts_ = {};
  samples_.clear();
  samples_.push_back({nowMs, 0, 0});  // the start counts as a sample: the first report already has a rate
}

void SyncProgress::update(const ProgressCounts& counts, std::int64_t nowMs) {
  std::lock_guard lock(mutex_);
  if (!running_) return;
  reported_ = true;
  counts_ = counts;
  if (!samples_.empty() && samples_.back().ms == nowMs) samples_.pop_back();
  samples_.push_back({nowMs, counts.filesDone, counts.bytesDone});
  // Keep one sample at or before the window's start, so the rate always spans the whole window.
  while (samples_.size() > 2 && samples_[1].ms <= nowMs - kWindowMs) samples_.pop_front();
}

void SyncProgress::end(std::int64_t nowMs, bool ok) {
  std::lock_guard lock(mutex_);
  if (!running_) return;
  running_ = false;
  ok_ = ok;
  endMs_ = nowMs;
}

ProgressView SyncProgress::view(std::int64_t nowMs) const {
  std::lock_guard lock(mutex_);
  ProgressView v;
  v.running = running_;
  v.reported = reported_;
  v.generation = generation_;
  v.counts = counts_;
  v.ok = ok_;
  if (generation_ == 0) return v;
  v.elapsedMs = std::max<std::int64_t>(0, (running_ ? nowMs : endMs_) - startMs_);
  if (counts_.filesTotal > 0)
    v.percent = static_cast<int>(std::min<std::uint64_t>(100, counts_.filesDone * 100 / counts_.filesTotal));
  if (!running_) {
    // A finished sync: its average over the whole run.
    const double s = static_cast<double>(v.elapsedMs) / 1000.0;
    if (s > 0) {
      v.bytesPerSecond = static_cast<double>(counts_.bytesDone) / s;
      v.filesPerSecond = static_cast<double>(counts_.filesDone) / s;
    }
    return v;
  }
  if (samples_.size() >= 2) {
    const Sample& first = samples_.front();
    const Sample& last = samples_.back();
    // Time since the last report counts too: a sync that stopped reporting slows down in the view.
    const double s = static_cast<double>(std::max(nowMs, last.ms) - first.ms) / 1000.0;
    if (s > 0) {
      v.bytesPerSecond = static_cast<double>(last.bytes - std::min(first.bytes, last.bytes)) / s;
      v.filesPerSecond = static_cast<double>(last.files - std::min(first.files, last.files)) / s;
    }
  }
  // The files still to check at the recent pace. Files, not bytes: rsync's byte total includes files it
  // skips as unchanged, which it never sends, so a byte-based ETA would never arrive.
  if (counts_.totalsFinal && counts_.filesTotal >= counts_.filesDone && v.filesPerSecond > 0) {
    const double left = static_cast<double>(counts_.filesTotal - counts_.filesDone);
    v.etaMs = static_cast<std::int64_t>(std::llround(left / v.filesPerSecond * 1000.0));
  }
  return v;
}

}  // namespace fsrelay
