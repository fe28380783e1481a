// Figures: counting differences between trees, timing convergence, and printing one line per test.
#include "tests/support/fault_figures.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace fsrelay::test {

namespace fs = std::filesystem;

double secondsSince(FaultClock::time_point t) {
  return std::chrono::duration<double>(FaultClock::now() - t).count();
}

std::size_t countDifferences(const Snapshot& expected, const Snapshot& actual) {
  std::size_t n = 0;
  for (const auto& [path, entry] : expected) {
    auto it = actual.find(path);
    if (it == actual.end() || !(it->second == entry)) ++n;
  }
  for (const auto& [path, entry] : actual)
    if (!expected.count(path)) ++n;
  return n;
}

std::size_t countDifferences(const fs::path& src, const fs::path& target, const ExcludeFn& exclude) {
  return countDifferences(snapshot(src, exclude), snapshot(target));
}

std::size_t countArrived(const fs::path& src, const fs::path& target) {
  Snapshot s = snapshot(src);
  Snapshot t = snapshot(target);
  std::size_t n = 0;
  for (const auto& [path, entry] : s) {
    auto it = t.find(path);
    if (it != t.end() && it->second == entry) ++n;
  }
  return n;
}

std::size_t failLogEntries(const fs::path& failLog) {
  std::ifstream in(failLog, std::ios::binary);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') ++n;
  return n;
}

bool failLogEmpties(const fs::path& failLog, std::chrono::milliseconds timeout) {
  auto deadline = FaultClock::now() + timeout;
  while (failLogEntries(failLog) > 0) {
    if (FaultClock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

double secondsToConverge(const fs::path& src, const std::vector<fs::path>& targets, std::chrono::milliseconds timeout,
                         std::string* diff) {
  auto t0 = FaultClock::now();
  std::string d = waitEqual(src, targets, timeout);
  double s = secondsSince(t0);
  if (diff) *diff = d;
  return d.empty() ? s : -1.0;
}

Figures::Figures(std::string label) : label_(std::move(label)) {}

Figures& Figures::add(const std::string& key, const std::string& value) {
  items_.emplace_back(key, value);
  return *this;
}

Figures& Figures::seconds(const std::string& key, double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", value);
  return add(key, value < 0 ? std::string("timeout") : std::string(buf));
}

Figures::~Figures() {
  std::ostringstream line;
  line << label_;
  for (const auto& [k, v] : items_) line << "; " << k << " = " << v;
  std::cout << "[ figures  ] " << line.str() << std::endl;
  if (const char* path = std::getenv("FSRELAY_FIGURES"); path != nullptr && *path != '\0') {
    std::ofstream(path, std::ios::app) << (::testing::Test::HasFailure() ? "FAILED " : "") << line.str() << "\n";
  }
}

}  // namespace fsrelay::test
