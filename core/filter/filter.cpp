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
  if (!isDir) return anyMatch(rules_, relPath);
  // The subject of a directory ends in "/"; one reused buffer per thread keeps this allocation-free.
  thread_local std::string subject;
  subject.assign(relPath);
  subject.push_back('/');
  return anyMatch(rules_, subject);
}

bool Filter::excluded(std::string_view relPath, bool isDir) const {
  if (rules_.empty()) return false;
  normalize(relPath, isDir);
  if (relPath.empty()) return false;
  // Every ancestor's subject ("a/", "a/b/") is a prefix of relPath ending at a "/": match it in place.
  for (std::size_t i = relPath.find('/'); i != std::string_view::npos; i = relPath.find('/', i + 1)) {
    if (anyMatch(rules_, relPath.substr(0, i + 1))) return true;
  }
  return excludedSelf(relPath, isDir);
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
