// Named counters behind one mutex: bumps happen per batch, not per byte, so contention is negligible.
#include "core/util/metrics.hpp"

#include <mutex>

namespace fsrelay::metrics {
namespace {
std::mutex gMutex;
std::map<std::string, std::int64_t>& counters() {
  static std::map<std::string, std::int64_t> m;
  return m;
}
}  // namespace

void add(const std::string& name, std::int64_t delta) {
  std::lock_guard lock(gMutex);
  counters()[name] += delta;
}

std::int64_t get(const std::string& name) {
  std::lock_guard lock(gMutex);
  auto it = counters().find(name);
  return it == counters().end() ? 0 : it->second;
}

std::map<std::string, std::int64_t> snapshot() {
  std::lock_guard lock(gMutex);
  return counters();
}

}  // namespace fsrelay::metrics
