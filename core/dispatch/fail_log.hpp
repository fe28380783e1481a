// The fail log: changes a target could not take after every retry, kept on disk until they are delivered.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/coalesce/coalescer.hpp"

namespace fsrelay {

struct FailEntry {
  std::string target;  // Target::name()
  std::string root;
  std::string kind;    // "upsert", "delete" or "full" (a whole-root sync)
  bool isDir = false;
  std::string path;    // relative to root; "." for "full"
};

// A text file, one entry per line, tab-separated fields with bytes escaped (escapeBytes), mode 0600,
// rewritten atomically (temp file + rename) on every change. Unlike sersync's fail log it is data, not a
// shell script, and an entry leaves it only when its delivery succeeded.
class FailLog {
 public:
  explicit FailLog(std::string path) : path_(std::move(path)) {}

  // Reads the file if it exists. Malformed lines are reported in *warnings and kept out.
  bool load(std::string* error, std::vector<std::string>* warnings);
  void add(const std::vector<FailEntry>& entries);
  // Removes the target's entries for these paths; a no-op (no write) when none was there.
  void remove(const std::string& target, const std::vector<std::string>& paths);
  std::vector<FailEntry> entriesFor(const std::string& target) const;
  std::size_t size() const;
  std::size_t sizeFor(const std::string& target) const;
  const std::string& path() const { return path_; }

  // Parsing and formatting of one line, exposed for tests.
  static std::string formatLine(const FailEntry& e);
  static bool parseLine(const std::string& line, FailEntry* out);

 private:
  void persistLocked();
  std::string path_;
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, FailEntry>> byTarget_;  // target -> path -> entry
  bool warnedWrite_ = false;
};

}  // namespace fsrelay
