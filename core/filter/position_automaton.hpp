// A rule's regex as a Glushkov (position) automaton run bit-parallel, for the rules whose syntax it reads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fsrelay::filter_detail {

// libstdc++'s polynomial matcher allocates and walks its NFA with a queue: tens of thousands of
// instructions per subject. A rule made of single-byte atoms (literals, ".", brackets, \d-style
// classes), groups, alternation and * + ? needs no more than a bit per atom: the set of atoms that can
// have matched the last byte, advanced by one table lookup per byte. Up to 64 atoms per rule.
//
// What each non-literal atom matches is asked of std::regex itself at build time, byte by byte, so "."
// (not \n or \r), ranges over signed chars and the locale's classes mean what they mean to the regex.
// Anything else (counted repeats, anchors inside, \b, back-references, lookahead) gets no automaton
// and stays with std::regex.
class PositionAutomaton {
 public:
  // The expression must already have compiled as ECMAScript.
  static std::optional<PositionAutomaton> build(std::string_view expression);
  // The answer of std::regex_match on the whole subject.
  bool matches(std::string_view subject) const;

 private:
  static constexpr int kMaxAtoms = 64;
  std::array<std::uint64_t, 256> atomsMatching_{};  // by byte: the atoms whose class holds it
  std::array<std::uint64_t, kMaxAtoms> follow_{};   // by atom: the atoms that may match the next byte
  std::uint64_t first_ = 0;                         // atoms that may match the first byte
  std::uint64_t last_ = 0;                          // atoms that may match the last byte
  bool nullable_ = false;                           // the empty subject matches

  friend class AutomatonParser;
};

}  // namespace fsrelay::filter_detail
