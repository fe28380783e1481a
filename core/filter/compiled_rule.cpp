// Compiles a rule and reads the literal pieces off its top level (only where the reading is certain).
#include "core/filter/compiled_rule.hpp"

#include <cstring>

#include "core/filter/regex_syntax.hpp"

namespace fsrelay::filter_detail {

namespace {

constexpr auto npos = std::string_view::npos;

struct Atom {
  bool literal = false;  // one byte matched as itself
  char byte = 0;
  bool quantified = false;
};

// Index just past the group opened at p[i] == '(', or npos.
std::size_t skipGroup(std::string_view p, std::size_t i) {
  int depth = 0;
  std::size_t j = i;
  while (j < p.size()) {
    char c = p[j];
    if (c == '\\') {
      j += 2;
      continue;
    }
    if (c == '[') {
      j = skipBracket(p, j);
      if (j == npos) return npos;
      continue;
    }
    if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0) {
      return j + 1;
    }
    ++j;
  }
  return npos;
}

// The top level of the expression as a sequence of atoms. Returns false when the expression has a
// top-level alternation or anything this scanner does not read with certainty; then the rule simply has
// no prefilter. Every atom it returns as literal and unquantified is matched exactly once, in order.
bool parseTopLevel(std::string_view p, std::vector<Atom>& atoms) {
  std::size_t i = 0;
  if (!p.empty() && p[0] == '^') i = 1;  // regex_match is anchored anyway
  while (i < p.size()) {
    char c = p[i];
    switch (c) {
      case '\\': {
        if (i + 1 >= p.size()) return false;
        char d = p[i + 1];
        if (isAlnum(d)) {
          // \d \w \s \b and their negations are one non-literal atom; \x41, \u, \c, \0, back-references
          // and the like span more than two bytes or are literal in ways not worth modelling.
          if (std::strchr("dDwWsSbB", d) == nullptr) return false;
          atoms.push_back(Atom{});
        } else {
          atoms.push_back(Atom{true, d, false});  // identity escape: "\." is a dot
        }
        i += 2;
        break;
      }
      case '[': {
        std::size_t j = skipBracket(p, i);
        if (j == npos) return false;
        atoms.push_back(Atom{});
        i = j;
        break;
      }
      case '(': {
        std::size_t j = skipGroup(p, i);
        if (j == npos) return false;
        atoms.push_back(Atom{});
        i = j;
        break;
      }
      case '*':
      case '+':
      case '?':  // also the lazy mark after a quantifier
        if (atoms.empty()) return false;
        atoms.back().quantified = true;
        ++i;
        break;
      case '{': {
        std::size_t j = p.find('}', i);
        if (atoms.empty() || j == npos) return false;
        atoms.back().quantified = true;
        i = j + 1;
        break;
      }
      case '$':
        if (i + 1 == p.size()) return true;  // a final anchor, implied by regex_match
        atoms.push_back(Atom{});
        ++i;
        break;
      case '.':
      case '^':
        atoms.push_back(Atom{});
        ++i;
        break;
      case '|':
      case ')':
      case ']':
      case '}':
        return false;
      default:
        atoms.push_back(Atom{true, c, false});
        ++i;
        break;
    }
  }
  return true;
}

std::regex compileRegex(const std::string& expression) {
  constexpr auto kFlags = std::regex::ECMAScript | std::regex::optimize;
#if defined(__GLIBCXX__)
  // libstdc++'s default matcher backtracks: one recursion per subject byte (a path near PATH_MAX
  // needs over 1 MiB of stack) and exponential time on rules like "(a*)*b" against a hostile file
  // name. Its polynomial matcher has neither problem; it refuses back-references, which then get
  // the default matcher. Only "does it match" is asked, so no capture groups either (nosubs).
  try {
    return std::regex(expression, kFlags | std::regex::nosubs | std::regex_constants::__polynomial);
  } catch (const std::regex_error&) {
  }
#endif
  // A back-reference needs its groups; a bad expression throws here with the error worth reporting.
  return std::regex(expression, kFlags);
}

}  // namespace

CompiledRule CompiledRule::compile(const std::string& expression) {
  CompiledRule rule;
  rule.regex = compileRegex(expression);
  if (auto automaton = PositionAutomaton::build(expression))
    rule.automaton = std::make_shared<const PositionAutomaton>(*automaton);
  std::vector<Atom> atoms;
  if (!parseTopLevel(expression, atoms)) return rule;

  // Runs of consecutive literal, unquantified atoms, with where they start and end in `atoms`.
  struct Run {
    std::string text;
    std::size_t first, last;  // [first, last)
  };
  std::vector<Run> runs;
  for (std::size_t k = 0; k < atoms.size(); ++k) {
    if (!atoms[k].literal || atoms[k].quantified) continue;
    if (!runs.empty() && runs.back().last == k) {
      runs.back().text.push_back(atoms[k].byte);
      runs.back().last = k + 1;
    } else {
      runs.push_back(Run{std::string(1, atoms[k].byte), k, k + 1});
    }
  }
  if (runs.empty() && !atoms.empty()) return rule;
  if (atoms.empty() || (runs.size() == 1 && runs[0].first == 0 && runs[0].last == atoms.size())) {
    rule.literal = true;
    if (!runs.empty()) rule.prefix = std::move(runs[0].text);
    return rule;
  }
  std::size_t begin = 0, end = runs.size();
  if (runs.front().first == 0) rule.prefix = std::move(runs[begin++].text);
  if (begin < end && runs.back().last == atoms.size()) rule.suffix = std::move(runs[--end].text);
  for (std::size_t k = begin; k < end; ++k) rule.inner.push_back(std::move(runs[k].text));
  return rule;
}

bool CompiledRule::matchesBetween(std::string_view subject) const {
  std::string_view middle = subject.substr(prefix.size(), subject.size() - prefix.size() - suffix.size());
  std::size_t from = 0;
  for (const auto& piece : inner) {
    std::size_t at = middle.find(piece, from);
    if (at == npos) return false;
    from = at + piece.size();
  }
  if (automaton) return automaton->matches(subject);
  return std::regex_match(subject.begin(), subject.end(), regex);
}

bool CompiledRule::matchesDirectoryIn(std::string_view whole) const {
  // Only where a "/" ends the literal end of a match can a directory's subject match: at the single
  // such place of a literal rule, or at each occurrence of a suffix (".svn/" is rarely in a path at all).
  if (literal) return !prefix.empty() && prefix.back() == '/' && hasPrefix(whole, prefix);
  if (!suffix.empty()) {
    if (suffix.back() != '/') return false;
    for (std::size_t at = whole.find(suffix, prefix.size()); at != npos; at = whole.find(suffix, at + 1)) {
      if (matches(whole.substr(0, at + suffix.size()))) return true;
    }
    return false;
  }
  for (std::size_t i = whole.find('/', prefix.empty() ? 0 : prefix.size() - 1); i != npos; i = whole.find('/', i + 1)) {
    if (matches(whole.substr(0, i + 1))) return true;
  }
  return false;
}

}  // namespace fsrelay::filter_detail
