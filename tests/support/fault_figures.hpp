// Measurements taken by the fault and path tests: printed on stdout and, when $FSRELAY_FIGURES names a file,
// appended to it (to rebuild docs/reliability.md's table).
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/tree.hpp"

namespace fsrelay::test {

using FaultClock = std::chrono::steady_clock;

double secondsSince(FaultClock::time_point t);

// Entries of the source that the target lacks or holds differently, plus entries only the target has:
// "files in flight" when taken at the moment a fault ends.
std::size_t countDifferences(const Snapshot& expected, const Snapshot& actual);
std::size_t countDifferences(const std::filesystem::path& src, const std::filesystem::path& target,
                             const ExcludeFn& exclude = {});
// Source entries the target holds identically: "files arrived".
std::size_t countArrived(const std::filesystem::path& src, const std::filesystem::path& target);

// Entries (lines other than comments) in an fsrelay fail log; 0 when it does not exist.
std::size_t failLogEntries(const std::filesystem::path& failLog);
// Polls until the fail log holds no entry (a delivered entry leaves it just after the delivery).
bool failLogEmpties(const std::filesystem::path& failLog, std::chrono::milliseconds timeout);

// Waits for every target to equal src; seconds it took, or a negative number after timeout (diff then
// holds the last differences).
double secondsToConverge(const std::filesystem::path& src, const std::vector<std::filesystem::path>& targets,
                         std::chrono::milliseconds timeout, std::string* diff = nullptr);

// One row of figures for one test: key = value pairs, written out when destroyed.
class Figures {
 public:
  explicit Figures(std::string label);
  ~Figures();
  Figures(const Figures&) = delete;
  Figures& operator=(const Figures&) = delete;

  Figures& add(const std::string& key, const std::string& value);
  Figures& add(const std::string& key, std::size_t value) { return add(key, std::to_string(value)); }
  Figures& add(const std::string& key, int value) { return add(key, std::to_string(value)); }
  Figures& seconds(const std::string& key, double value);

 private:
  std::string label_;
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace fsrelay::test
