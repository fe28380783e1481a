// Unit tests of the position automaton: which rules get one, and that it answers as std::regex does.
#include "core/filter/position_automaton.hpp"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

namespace fsrelay::filter_detail {
namespace {

bool regexMatches(const std::string& pattern, const std::string& subject) {
  return std::regex_match(subject, std::regex(pattern, std::regex::ECMAScript | std::regex_constants::__polynomial));
}

TEST(PositionAutomaton, reads_the_sample_rules_and_default_temp_patterns) {
  for (const char* rule : {R"((.*/)?\.svn/)", R"((.*)\.gz)", "^info/*", "^static/*", R"(.*\.sw[a-px])", ".*~", "4913",
                           R"(\.#.*)", R"(^static/.*\.css$)", "(?:a|b)+c", "[^/]*\\.tmp", R"(\d\w\s.)"}) {
    EXPECT_TRUE(PositionAutomaton::build(rule).has_value()) << rule;
  }
}

TEST(PositionAutomaton, leaves_what_it_does_not_read_to_std_regex) {
  for (const char* rule : {"a{2}", "(ab)\\1", "\\bword", "a(?=b)", "a(?!b)", "\\x41", "[[:alpha:]]", "a^b", "a$b",
                           "(a$)", "[]a]"}) {
    EXPECT_FALSE(PositionAutomaton::build(rule).has_value()) << rule;
  }
  std::string wide(65, 'a');  // one bit per atom
  EXPECT_FALSE(PositionAutomaton::build(wide).has_value());
  EXPECT_TRUE(PositionAutomaton::build(wide.substr(1)).has_value());
}

TEST(PositionAutomaton, dot_matches_any_byte_but_line_ends) {
  auto any = PositionAutomaton::build("a.b");
  ASSERT_TRUE(any);
  for (int b = 0; b < 256; ++b) {
    std::string subject = std::string("a") + static_cast<char>(b) + "b";
    EXPECT_EQ(any->matches(subject), b != '\n' && b != '\r') << b;
  }
}

TEST(PositionAutomaton, escaped_final_dollar_is_a_literal) {
  auto anchor = PositionAutomaton::build("a$");
  auto dollar = PositionAutomaton::build("a\\$");
  auto slashAnchor = PositionAutomaton::build("a\\\\$");
  ASSERT_TRUE(anchor && dollar && slashAnchor);
  EXPECT_TRUE(anchor->matches("a"));
  EXPECT_TRUE(dollar->matches("a$"));
  EXPECT_FALSE(dollar->matches("a"));
  EXPECT_TRUE(slashAnchor->matches("a\\"));
}

TEST(PositionAutomaton, long_subject_is_matched_in_linear_time) {
  auto rule = PositionAutomaton::build("(a*)*b");
  ASSERT_TRUE(rule);
  std::string name(100000, 'a');
  EXPECT_FALSE(rule->matches(name + "cb"));
  EXPECT_TRUE(rule->matches(name + "b"));
}

// Random rules over the syntax the automaton reads (and some it does not), random byte subjects
// including line ends, NUL and high bytes (ranges compare signed chars): every answer as std::regex's.
TEST(PositionAutomaton, agrees_with_std_regex_on_random_rules_and_subjects) {
  static const char* const kAtoms[] = {"a", "b", "/", ".", "\\.", "~", "[ab]", "[^a]", "[a-c]", "[.]", "[\\]]",
                                       "\\d", "\\w", "\\s", "\\S", "\\n", "\\/", "[\\x00-b]", "[\x80-\xff]", "[^/]",
                                       "\xc3", "\\t", "\\b", "\\x61", "(?=a)", "[\\d.]", "[-a]"};
  static const char* const kQuantifiers[] = {"", "", "", "*", "+", "?", "*?", "??", "{2}"};
  static const char kSubjectBytes[] = "ab/.~1 \n\r\t\0\xc3\x80\xff-]";
  std::mt19937_64 rng(0xA7011A7A);
  auto uniform = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  // A sequence of quantified atoms and groups, with alternation inside groups and at the top.
  auto expression = [&](auto&& self, int depth) -> std::string {
    std::string out;
    for (std::size_t k = uniform(4); k > 0; --k) {
      std::string item;
      if (depth < 3 && uniform(4) == 0) {
        item = std::string(uniform(3) == 0 ? "(?:" : "(") + self(self, depth + 1);
        if (uniform(3) == 0) item += "|" + self(self, depth + 1);
        item += ")";
      } else {
        item = kAtoms[uniform(std::size(kAtoms))];
      }
      out += item + kQuantifiers[uniform(std::size(kQuantifiers))];
    }
    if (depth == 0 && uniform(5) == 0) out += "|" + self(self, 1);
    if (depth == 0 && uniform(6) == 0) out = "^" + out;
    if (depth == 0 && uniform(6) == 0) out += "$";
    return out;
  };
  int built = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string pattern = expression(expression, 0);
    std::optional<std::regex> reference;
    try {
      reference.emplace(pattern, std::regex::ECMAScript | std::regex_constants::__polynomial);
    } catch (const std::regex_error&) {
      continue;
    }
    auto automaton = PositionAutomaton::build(pattern);
    if (!automaton) continue;
    ++built;
    for (int s = 0; s < 60; ++s) {
      std::string subject;
      for (std::size_t k = uniform(10); k > 0; --k) subject += kSubjectBytes[uniform(sizeof kSubjectBytes - 1)];
      ASSERT_EQ(automaton->matches(subject), std::regex_match(subject, *reference))
          << "pattern " << pattern << " subject " << subject;
    }
  }
  EXPECT_GT(built, 1500);
  EXPECT_TRUE(regexMatches("(.*/)?\\.svn/", "a/.svn/"));  // the reference itself, as a sanity check
}

}  // namespace
}  // namespace fsrelay::filter_detail
