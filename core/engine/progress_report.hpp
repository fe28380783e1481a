// Shows running full syncs: a redrawn progress bar on a terminal, else a log line every 10 s, and a last line.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dispatch/sync_progress.hpp"
#include "core/dispatch/target.hpp"

namespace fsrelay {

// Pure formatting, unit-tested: "12,345", "1.2 GB", "35 MB/s", "0:43".
std::string formatCount(std::uint64_t n);
std::string formatBytes(std::uint64_t bytes);
std::string formatClock(std::int64_t ms);

// "NAME: full sync 45% — 12,345 of 27,000 files, 1.2 GB of 2.7 GB, 35 MB/s, ETA 0:43"
std::string progressLine(const std::string& name, const ProgressView& v);
// "NAME: full sync done — 27,000 files, 2.7 GB sent in 1:17 (35 MB/s)" (or "failed after")
std::string progressDoneLine(const std::string& name, const ProgressView& v);
// "[#########-----------]  45%  12,345/27,000 files  1.2 GB  35 MB/s  ETA 0:43  NAME", at most width columns.
std::string progressBar(const std::string& name, const ProgressView& v, std::size_t width);

// Called on the engine's loop every turn. Not thread-safe: one loop owns it.
class ProgressReporter {
 public:
  // terminal: stderr is a terminal that the log writes to as text (no log file, not -d, not JSON lines).
  // everyMs: between two log lines of one sync (the bar is redrawn at every turn, at most 4 times a second).
  ProgressReporter(bool terminal, std::int64_t everyMs, int fd);
  ~ProgressReporter();  // clears the bar

  void tick(std::int64_t nowMs, const std::vector<std::unique_ptr<Target>>& targets);

 private:
  void drawBars(const std::vector<std::string>& lines);
  void clearBars();
  static std::string eraseShown();

  bool terminal_;
  std::int64_t everyMs_;
  int fd_;
  std::size_t barsShown_ = 0;
  std::int64_t lastDrawMs_ = 0;
  struct Seen {
    std::uint64_t announced = 0;  // the generation whose end was logged
    std::uint64_t running = 0;    // the generation last seen running
    std::int64_t nextLogMs = 0;   // of the running generation
  };
  std::map<std::string, Seen> seen_;  // by target name
};

}  // namespace fsrelay
