// The exclude filter and the editor temp-name matcher: precompiled ECMAScript regexes, full matches.
#include "core/filter/filter.hpp"

namespace fsrelay {

namespace {

using filter_detail::CompiledRule;

bool anyMatch(const std::vector<CompiledRule>& rules, std::string_view subject) {
  for (const auto& rule : rules) {
    if (rule.matches(subject)) return true;
  }
  return false;
}

// Callers may pass a directory with its trailing "/" already there; treat it like isDir.
void normalize(std::string_view& relPath, bool& isDir) {
  if (!relPath.empty() && relPath.back() == '/') {
    relPath.remove_suffix(1);
    isDir = true;
  }
}

// The subject of a directory ends in "/"; one reused buffer per thread keeps this allocation-free.
std::string_view directorySubject(std::string_view relPath) {
  thread_local std::string subject;
  subject.assign(relPath);
  subject.push_back('/');
  return subject;
}

}  // namespace

std::optional<Filter> Filter::build(const FilterConf& conf, std::string* error, int* line) {
  Filter filter;
  // A disabled <filter> is ignored as a whole, as in sersync: its rules are not even compiled.
  if (!conf.enabled) return filter;
  filter.rules_.reserve(conf.excludes.size());
  for (const auto& rule : conf.excludes) {
    try {
      filter.rules_.push_back(CompiledRule::compile(rule.expression));
    } catch (const std::regex_error& e) {
      if (error) *error = rule.expression + ": " + e.what();
      if (line) *line = rule.line;
      return std::nullopt;
    }
  }
  return filter;
}

bool Filter::excludedSelf(std::string_view relPath, bool isDir) const {
  if (rules_.empty()) return false;
  normalize(relPath, isDir);
  if (relPath.empty()) return false;  // the root itself is never excluded
  return anyMatch(rules_, isDir ? directorySubject(relPath) : relPath);
}

bool Filter::excluded(std::string_view relPath, bool isDir) const {
  if (rules_.empty()) return false;
  normalize(relPath, isDir);
  if (relPath.empty()) return false;
  // Every subject here, the ancestors' ("a/", "a/b/") and the path's own, is a prefix of `whole` that
  // ends at a "/" or at its end. So a rule's literal prefix is checked once for all of them, and its
  // literal end says where in `whole` it can match: most rules are out after a comparison or two
  // instead of one call per ancestor.
  std::string_view whole = isDir ? directorySubject(relPath) : relPath;
  for (const auto& rule : rules_) {
    if (!filter_detail::hasPrefix(whole, rule.prefix)) continue;
    if (rule.matchesDirectoryIn(whole)) return true;
    if (!isDir && rule.mayMatchNonDirectory() && rule.matches(relPath)) return true;
  }
  return false;
}

std::optional<TempNames> TempNames::build(const std::vector<std::string>& patterns, std::string* error) {
  TempNames names;
  names.rules_.reserve(patterns.size());
  for (const auto& pattern : patterns) {
    try {
      names.rules_.push_back(CompiledRule::compile(pattern));
    } catch (const std::regex_error& e) {
      if (error) *error = pattern + ": " + e.what();
      return std::nullopt;
    }
  }
  return names;
}

bool TempNames::isTemp(std::string_view baseName) const { return anyMatch(rules_, baseName); }

}  // namespace fsrelay
