// Builds the position automaton of a rule by recursive descent (Glushkov's construction) and runs it.
#include "core/filter/position_automaton.hpp"

#include <bit>
#include <cstring>
#include <regex>
#include <string>

#include "core/filter/regex_syntax.hpp"

namespace fsrelay::filter_detail {

// Every parse step returns false on syntax it does not read with certainty: no automaton then.
class AutomatonParser {
 public:
  AutomatonParser(std::string_view p, PositionAutomaton& a) : p_(p), a_(a) {}

  bool parse() {
    std::size_t i = 0, end = p_.size();
    // regex_match anchors both ends anyway; a final "$" is an anchor unless an odd run of "\" escapes it.
    if (end > 0 && p_[0] == '^') i = 1;
    if (end > i && p_[end - 1] == '$') {
      std::size_t slashes = 0;
      while (end - 1 - slashes > i && p_[end - 2 - slashes] == '\\') ++slashes;
      if (slashes % 2 == 0) --end;
    }
    i_ = i;
    end_ = end;
    Part all;
    if (!alternation(all) || i_ != end_) return false;
    a_.first_ = all.first;
    a_.last_ = all.last;
    a_.nullable_ = all.nullable;
    return true;
  }

 private:
  // A subexpression: can it match empty, which atoms can match its first and its last byte.
  struct Part {
    bool nullable = true;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
  };

  bool alternation(Part& out) {
    if (!sequence(out)) return false;
    while (i_ < end_ && p_[i_] == '|') {
      ++i_;
      Part other;
      if (!sequence(other)) return false;
      out.nullable = out.nullable || other.nullable;
      out.first |= other.first;
      out.last |= other.last;
    }
    return true;
  }

  bool sequence(Part& out) {
    out = Part{};
    while (i_ < end_ && p_[i_] != '|' && p_[i_] != ')') {
      Part item;
      if (!atom(item) || !quantifier(item)) return false;
      link(out.last, item.first);
      out.first |= out.nullable ? item.first : 0;
      out.last = item.last | (item.nullable ? out.last : 0);
      out.nullable = out.nullable && item.nullable;
    }
    return true;
  }

  bool quantifier(Part& item) {
    if (i_ >= end_) return true;
    char q = p_[i_];
    if (q == '{') return false;  // counted repeats would need copies of the atoms
    if (q != '*' && q != '+' && q != '?') return true;
    ++i_;
    if (q != '?') link(item.last, item.first);
    if (q != '+') item.nullable = true;
    if (i_ < end_ && p_[i_] == '?') ++i_;  // lazy: the same strings match in full
    return i_ >= end_ || std::strchr("*+?{", p_[i_]) == nullptr;
  }

  bool atom(Part& item) {
    char c = p_[i_];
    switch (c) {
      case '(': {
        ++i_;
        if (i_ < end_ && p_[i_] == '?') {
          if (i_ + 1 >= end_ || p_[i_ + 1] != ':') return false;  // lookahead
          i_ += 2;
        }
        if (!alternation(item) || i_ >= end_ || p_[i_] != ')') return false;
        ++i_;
        return true;
      }
      case '[': {
        std::size_t j = skipBracket(p_.substr(0, end_), i_);
        if (j == std::string_view::npos) return false;
        return classAtom(p_.substr(i_, j - i_), item);
      }
      case '\\': {
        if (i_ + 1 >= end_) return false;
        char d = p_[i_ + 1];
        if (!isAlnum(d)) return literalAtom(d, 2, item);
        // Classes and control escapes; \b, \B, \x, \u, \c and back-references are not single bytes.
        if (std::strchr("dDwWsStnrfv", d) == nullptr) return false;
        return classAtom(p_.substr(i_, 2), item);
      }
      case '.':
        return classAtom(p_.substr(i_, 1), item);
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case ']':
      case '^':
      case '$':
        return false;
      default:
        return literalAtom(c, 1, item);
    }
  }

  bool literalAtom(char c, std::size_t length, Part& item) {
    std::uint64_t bit;
    if (!newAtom(bit)) return false;
    a_.atomsMatching_[static_cast<unsigned char>(c)] |= bit;
    i_ += length;
    item = Part{false, bit, bit};
    return true;
  }

  // What the atom matches, byte by byte, as std::regex reads it (the flags of compileRegex do not
  // change which single bytes an atom matches).
  bool classAtom(std::string_view text, Part& item) {
    std::uint64_t bit;
    if (!newAtom(bit)) return false;
    std::regex atomRegex(std::string(text), std::regex::ECMAScript);
    for (int b = 0; b < 256; ++b) {
      char byte = static_cast<char>(b);
      if (std::regex_match(&byte, &byte + 1, atomRegex)) a_.atomsMatching_[b] |= bit;
    }
    i_ += text.size();
    item = Part{false, bit, bit};
    return true;
  }

  bool newAtom(std::uint64_t& bit) {
    if (atoms_ == PositionAutomaton::kMaxAtoms) return false;
    bit = std::uint64_t{1} << atoms_++;
    return true;
  }

  // Every atom in `from` may be followed by every atom in `to`.
  void link(std::uint64_t from, std::uint64_t to) {
    for (; from != 0; from &= from - 1) a_.follow_[std::countr_zero(from)] |= to;
  }

  std::string_view p_;
  PositionAutomaton& a_;
  std::size_t i_ = 0;
  std::size_t end_ = 0;
  int atoms_ = 0;
};

std::optional<PositionAutomaton> PositionAutomaton::build(std::string_view expression) {
  PositionAutomaton automaton;
  AutomatonParser parser(expression, automaton);
  if (!parser.parse()) return std::nullopt;
  return automaton;
}

bool PositionAutomaton::matches(std::string_view subject) const {
  if (subject.empty()) return nullable_;
  std::uint64_t live = first_ & atomsMatching_[static_cast<unsigned char>(subject[0])];
  for (std::size_t k = 1; k < subject.size() && live != 0; ++k) {
    std::uint64_t next = 0;
    for (std::uint64_t m = live; m != 0; m &= m - 1) next |= follow_[std::countr_zero(m)];
    live = next & atomsMatching_[static_cast<unsigned char>(subject[k])];
  }
  return (live & last_) != 0;
}

}  // namespace fsrelay::filter_detail
