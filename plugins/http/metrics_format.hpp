// Pure helper of the http plugin's /metrics: appends the plugin's own metrics to the host's exposition text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fsrelay::http {

struct Metric {
  std::string name;  // [a-z_][a-z0-9_]*; counters end in _total
  std::string type;  // "counter" or "gauge"
  std::string help;  // one line
  std::int64_t value = 0;
};

// True when text (Prometheus text format 0.0.4) already has a family of that name (a # TYPE or a sample).
bool hasFamily(std::string_view text, std::string_view name);

// hostText followed by each metric as "# HELP", "# TYPE" and one sample. A family the host already
// exports is left out: a duplicate family makes the whole scrape invalid.
std::string appendMetrics(std::string_view hostText, const std::vector<Metric>& metrics);

}  // namespace fsrelay::http
