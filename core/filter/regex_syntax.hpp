// Reading ECMAScript regex syntax without compiling it: shared by the literal prefilter and the automaton.
#pragma once

#include <cstddef>
#include <string_view>

namespace fsrelay::filter_detail {

// Index just past the bracket expression at p[i] == '[', or npos for forms that engines read
// differently ("[]...", "[^]...") or that nest ("[[:alpha:]]"): callers leave those to std::regex.
inline std::size_t skipBracket(std::string_view p, std::size_t i) {
  std::size_t j = i + 1;
  if (j < p.size() && p[j] == '^') ++j;
  if (j < p.size() && p[j] == ']') return std::string_view::npos;
  for (; j < p.size(); ++j) {
    if (p[j] == '\\') {
      ++j;
    } else if (p[j] == '[') {
      return std::string_view::npos;
    } else if (p[j] == ']') {
      return j + 1;
    }
  }
  return std::string_view::npos;
}

inline bool isAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace fsrelay::filter_detail
