// Target classification and its one-line description (pure: unit-tested in tests/unit/target_state_test.cpp).
#include "core/engine/target_state.hpp"

#include <string_view>

namespace fsrelay {

TargetState classifyTarget(const TargetStats& s, std::size_t failLogEntries) {
  // Unix seconds: a failure and a later success within one second read as "not failing", which the next
  // failure (retries keep coming while the remote is down) corrects.
  if (s.lastErrorUnix > s.lastOkUnix) return TargetState::Failing;
  if (std::string_view(s.fullSync) != "idle") return TargetState::FullSync;
  if (s.queued > 0 || s.inFlight) return TargetState::Behind;
  if (failLogEntries > 0) return TargetState::FailLogged;
  return TargetState::InSync;
}

std::string ageText(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 120) return std::to_string(seconds) + " s";
  if (seconds < 3600) return std::to_string(seconds / 60) + " min";
  if (seconds < 86400) {
    std::string out = std::to_string(seconds / 3600) + " h";
    return seconds % 3600 >= 60 ? out + " " + std::to_string(seconds % 3600 / 60) + " min" : out;
  }
  std::string out = std::to_string(seconds / 86400) + " d";
  return seconds % 86400 >= 3600 ? out + " " + std::to_string(seconds % 86400 / 3600) + " h" : out;
}

std::string describeTarget(const TargetStats& s, std::size_t failLogEntries, std::int64_t nowUnix) {
  std::string out;
  switch (classifyTarget(s, failLogEntries)) {
    case TargetState::InSync: out = "in sync"; break;
    case TargetState::Behind: out = "behind"; break;
    case TargetState::FullSync: out = std::string("full sync ") + s.fullSync; break;
    case TargetState::FailLogged: out = "caught up, fail-log entries waiting for replay"; break;
    case TargetState::Failing:
      // The error's first line: rsync's stderr can run to many.
      out = "failing (" + s.lastError.substr(0, s.lastError.find('\n')) + "; last attempt " +
            ageText(nowUnix - s.lastErrorUnix) + " ago)";
      break;
  }
  if (s.queued > 0) out += "; " + std::to_string(s.queued) + " queued";
  if (s.inFlight) out += "; sending";
  out += s.lastOkUnix > 0 ? "; last transfer " + ageText(nowUnix - s.lastOkUnix) + " ago" : "; no transfer yet";
  if (failLogEntries > 0) out += "; " + std::to_string(failLogEntries) + " fail-log entries";
  return out;
}

}  // namespace fsrelay
