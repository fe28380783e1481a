// Process-wide named counters (metrics), cheap to bump from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace fsrelay::metrics {

void add(const std::string& name, std::int64_t delta);
std::int64_t get(const std::string& name);
std::map<std::string, std::int64_t> snapshot();

}  // namespace fsrelay::metrics
