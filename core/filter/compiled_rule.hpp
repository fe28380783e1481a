// One exclude or temp-name regex with a literal prefilter that rejects most subjects without std::regex.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/filter/position_automaton.hpp"

namespace fsrelay::filter_detail {

// Literal pieces are short and differ from most subjects in their first bytes (a prefix) or their last
// (a suffix): a byte loop in place costs less than a call to memcmp.
inline bool hasPrefix(std::string_view subject, std::string_view piece) {
  if (subject.size() < piece.size()) return false;
  for (std::size_t i = 0; i < piece.size(); ++i)
    if (subject[i] != piece[i]) return false;
  return true;
}
inline bool hasSuffix(std::string_view subject, std::string_view piece) {
  if (subject.size() < piece.size()) return false;
  for (std::size_t i = 1; i <= piece.size(); ++i)
    if (subject[subject.size() - i] != piece[piece.size() - i]) return false;
  return true;
}

// libstdc++'s std::regex_match costs about a microsecond per rule and subject, mostly in setting up
// its matcher. Almost every rule in practice has literal pieces that any full match must contain
// ("(.*)\.gz" ends in ".gz", "^info/*" starts with "info", "4913" is only a literal): checking those
// first answers most subjects; the position automaton or, for rules it does not read,
// std::regex decides every subject that passes.
struct CompiledRule {
  std::regex regex;
  std::string prefix;              // every match starts with this
  std::string suffix;              // ... ends with this (a separate piece from prefix)
  std::vector<std::string> inner;  // ... and contains these in order, between prefix and suffix
  bool literal = false;            // the expression is exactly `prefix`: a comparison decides
  std::shared_ptr<const PositionAutomaton> automaton;  // null: std::regex decides

  // Throws std::regex_error for a bad expression.
  static CompiledRule compile(const std::string& expression);
  // Inline up to the prefilter's first comparisons: most calls end there.
  bool matches(std::string_view subject) const {
    if (literal) return subject.size() == prefix.size() && hasPrefix(subject, prefix);
    if (subject.size() < prefix.size() + suffix.size()) return false;
    if (!hasSuffix(subject, suffix) || !hasPrefix(subject, prefix)) return false;
    return matchesBetween(subject);
  }
  // True when the rule matches a prefix of `whole` that ends at a "/" (a directory's subject).
  bool matchesDirectoryIn(std::string_view whole) const;
  // False when no subject whose last byte is not a "/" can match.
  bool mayMatchNonDirectory() const {
    const std::string& tail = literal ? prefix : suffix;
    return tail.empty() ? !literal : tail.back() != '/';  // the empty literal matches only ""
  }

 private:
  // The rest of matches(), for a subject with the prefix and the suffix.
  bool matchesBetween(std::string_view subject) const;
};

}  // namespace fsrelay::filter_detail
