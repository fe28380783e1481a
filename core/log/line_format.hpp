// Renders one log line, as text or as a JSON object: pure, so the escaping is unit-tested byte for byte.
#pragma once

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>

#include "core/log/log.hpp"

namespace fsrelay::log {

// A wall-clock moment in local time, split for formatting.
struct Stamp {
  std::tm tm{};
  int millis = 0;
  long utcOffsetSeconds = 0;  // tm_gmtoff: east of UTC is positive
};

Stamp localStamp(std::chrono::system_clock::time_point when);
// "2026-11-22T05:21:19.123+00:00" (json) or "2026-11-22T05:21:19.123" (text keeps its old form).
std::string isoTime(const Stamp& stamp, bool withOffset);
// The whole line, newline included. fields may be null. In JSON every string is escaped so that the line is
// valid JSON (and UTF-8) whatever bytes the message holds; Bytes fields also carry key_b64 when they are not
// UTF-8, so a file name can be recovered exactly.
std::string formatLine(Format format, const Stamp& stamp, Level level, std::string_view message, const Fields* fields);

}  // namespace fsrelay::log
