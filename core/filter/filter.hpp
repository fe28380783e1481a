// The exclude filter: sersync's <filter><exclude expression> regexes, one convention at startup and run time.
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"
#include "core/filter/compiled_rule.hpp"

namespace fsrelay {

// Subject of every match: the path relative to the watched root, "sub/dir/name", with a trailing "/"
// for a directory. A regex must match the whole subject. An excluded directory excludes its subtree.
class Filter {
 public:
  Filter() = default;  // excludes nothing
  // Compiles the rules; on a bad regex returns nullopt and sets *error to "EXPR: reason" and *line.
  static std::optional<Filter> build(const FilterConf& conf, std::string* error, int* line);

  // True when relPath or any of its ancestor directories is excluded.
  bool excluded(std::string_view relPath, bool isDir) const;
  // True when relPath itself is excluded; for callers that already know its parent is included
  // (the watcher never descends into an excluded directory).
  bool excludedSelf(std::string_view relPath, bool isDir) const;
  bool empty() const { return rules_.empty(); }

 private:
  std::vector<filter_detail::CompiledRule> rules_;
};

// Editor temp-file names (TuningConf::tempPatterns): regexes, full match against the base name.
class TempNames {
 public:
  TempNames() = default;
  static std::optional<TempNames> build(const std::vector<std::string>& patterns, std::string* error);
  bool isTemp(std::string_view baseName) const;

 private:
  std::vector<filter_detail::CompiledRule> rules_;
};

}  // namespace fsrelay
