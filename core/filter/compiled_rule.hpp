// One exclude or temp-name regex with a literal prefilter that rejects most subjects without std::regex.
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace fsrelay::filter_detail {

// libstdc++'s std::regex_match costs about a microsecond per rule and subject, mostly in setting up
// its matcher. Almost every rule in practice has literal pieces that any full match must contain
// ("(.*)\.gz" ends in ".gz", "^info/*" starts with "info", "4913" is only a literal): checking those
// first with memcmp answers most subjects, and std::regex still decides every subject that passes.
struct CompiledRule {
  std::regex regex;
  std::string prefix;              // every match starts with this
  std::string suffix;              // ... ends with this (a separate piece from prefix)
  std::vector<std::string> inner;  // ... and contains these in order, between prefix and suffix
  bool literal = false;            // the expression is exactly `prefix`: a comparison decides

  // Throws std::regex_error for a bad expression.
  static CompiledRule compile(const std::string& expression);
  bool matches(std::string_view subject) const;
};

}  // namespace fsrelay::filter_detail
