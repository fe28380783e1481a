// Repeat limiting for log lines: pure (time comes in as an argument), so a fake clock drives its tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/log/log.hpp"

namespace fsrelay::log {

struct RateLimit {
  std::chrono::milliseconds window{10000};
  int perKey = 3;          // lines of one shape per window before the rest are only counted
  int perWindow = 200;     // Warn and Info lines of all shapes per window (a storm of different per-file lines)
  std::size_t maxKeys = 1024;  // shapes tracked at once; beyond, a new shape passes untracked
};

// The key of a line: its level and its text with every run of digits (with "," or "." between digits)
// replaced by "#". Lines that differ only in counters, delays, ids and sizes share a key ("next attempt in
// 1873 ms (consecutive failure 7)"); lines that differ in substance (another target, another reason,
// another root) do not. It needs nothing from the call sites, which matters because plugin lines arrive
// as finished strings through the host's log service.
std::string shapeKey(Level level, std::string_view message);

class RateLimiter {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // A window that ended with lines suppressed: the caller writes message (the last suppressed line with
  // the count appended) at level.
  struct Summary {
    Level level;
    std::string message;
    std::uint64_t suppressed;
  };
  struct Verdict {
    bool pass = true;
    std::vector<Summary> before;  // to write ahead of this line (or in its place when it does not pass)
  };

  explicit RateLimiter(RateLimit limit = {}) : limit_(limit) {}

  // Error, Warn and Info only (Debug is never limited). The first line of a key in a window always passes,
  // errors included; after perKey lines the rest are counted. Errors are exempt from the perWindow budget.
  Verdict admit(Level level, std::string_view message, Time now);
  // Summaries of windows that have ended by now (each once); forgets those keys.
  std::vector<Summary> due(Time now);

 private:
  struct Slot {
    Time start;
    int passed = 0;
    std::uint64_t suppressed = 0;
    Level level = Level::Info;
    std::string last;  // the last suppressed line, shown in the summary
  };

  std::string summaryText(std::string_view last, std::uint64_t n) const;

  RateLimit limit_;
  std::unordered_map<std::string, Slot> slots_;
  Time sweepAt_ = Time::max();  // the earliest end of a window in slots_
  Time budgetStart_{};
  bool budgetOpen_ = false;
  int budgetPassed_ = 0;
  std::uint64_t budgetSuppressed_ = 0;
};

}  // namespace fsrelay::log
