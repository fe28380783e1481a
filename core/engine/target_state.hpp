// How one target is doing, in one word and one line: the rule behind `fsrelay status` and its exit code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/dispatch/target.hpp"

namespace fsrelay {

enum class TargetState : std::uint8_t {
  InSync,     // nothing queued or in flight, no full sync, last delivery ok, no fail-log entries
  Behind,     // changes queued or being sent
  FullSync,   // a full sync is queued or running
  FailLogged, // caught up, but fail-log entries wait for the next replay
  Failing,    // the last delivery failed; retrying with backoff
};

TargetState classifyTarget(const TargetStats& stats, std::size_t failLogEntries);
// The target's state for people: "in sync; last transfer 3 s ago", "failing (rsync exit 10); 12 queued; ...".
std::string describeTarget(const TargetStats& stats, std::size_t failLogEntries, std::int64_t nowUnix);
// A duration for people: "42 s", "3 min", "2 h 5 min", "4 d 3 h".
std::string ageText(std::int64_t seconds);

}  // namespace fsrelay
