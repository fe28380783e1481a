// Unit tests of the exclude filter (subject convention, ancestors, sersync's sample rules) and temp names.
#include "core/filter/filter.hpp"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "core/filter/compiled_rule.hpp"

namespace fsrelay {
namespace {

Filter makeFilter(std::vector<std::string> expressions, bool enabled = true) {
  FilterConf conf;
  conf.enabled = enabled;
  int line = 10;
  for (auto& e : expressions) conf.excludes.push_back(ExcludeRule{std::move(e), line++});
  std::string error;
  int errorLine = 0;
  auto filter = Filter::build(conf, &error, &errorLine);
  EXPECT_TRUE(filter.has_value()) << error << " at line " << errorLine;
  return filter.value_or(Filter{});
}

TEST(Filter, default_constructed_excludes_nothing) {
  Filter filter;
  EXPECT_TRUE(filter.empty());
  EXPECT_FALSE(filter.excluded("a/b/c", false));
  EXPECT_FALSE(filter.excluded("a", true));
}

TEST(Filter, disabled_filter_excludes_nothing) {
  Filter filter = makeFilter({".*"}, /*enabled=*/false);
  EXPECT_TRUE(filter.empty());
  EXPECT_FALSE(filter.excluded("anything", false));
  EXPECT_FALSE(filter.excludedSelf("dir", true));
}

TEST(Filter, disabled_filter_does_not_compile_its_rules) {
  FilterConf conf;
  conf.enabled = false;
  conf.excludes.push_back(ExcludeRule{"(unclosed", 3});
  std::string error;
  int line = 0;
  EXPECT_TRUE(Filter::build(conf, &error, &line).has_value());
}

TEST(Filter, rule_must_match_the_whole_subject) {
  Filter filter = makeFilter({"abc"});
  EXPECT_TRUE(filter.excluded("abc", false));
  EXPECT_FALSE(filter.excluded("abcd", false));
  EXPECT_FALSE(filter.excluded("xabc", false));
  EXPECT_FALSE(filter.excluded("sub/abc", false));  // the subject is the whole relative path
}

TEST(Filter, directory_subject_ends_with_a_slash) {
  Filter filter = makeFilter({"logs/"});
  EXPECT_TRUE(filter.excludedSelf("logs", true));
  EXPECT_FALSE(filter.excludedSelf("logs", false));  // a file named logs is not the directory
}

TEST(Filter, path_given_with_trailing_slash_is_a_directory) {
  Filter filter = makeFilter({"logs/"});
  EXPECT_TRUE(filter.excludedSelf("logs/", false));
  EXPECT_TRUE(filter.excluded("logs/", false));
}

TEST(Filter, excluded_directory_excludes_its_subtree) {
  Filter filter = makeFilter({"a/cache/"});
  EXPECT_TRUE(filter.excluded("a/cache", true));
  EXPECT_TRUE(filter.excluded("a/cache/x", false));
  EXPECT_TRUE(filter.excluded("a/cache/deep/er/x.txt", false));
  EXPECT_TRUE(filter.excluded("a/cache/deep", true));
  // excludedSelf looks at the path only: the caller already knows the parent is included.
  EXPECT_FALSE(filter.excludedSelf("a/cache/x", false));
  EXPECT_FALSE(filter.excluded("a", true));
}

TEST(Filter, ancestor_match_is_on_whole_components) {
  Filter filter = makeFilter({"cache/"});
  EXPECT_TRUE(filter.excluded("cache/x", false));
  EXPECT_FALSE(filter.excluded("cache2/x", false));
  EXPECT_FALSE(filter.excluded("mycache/x", false));
  EXPECT_FALSE(filter.excluded("cachex", false));
}

TEST(Filter, any_rule_excludes) {
  Filter filter = makeFilter({".*\\.tmp", "build/"});
  EXPECT_TRUE(filter.excluded("x/y.tmp", false));
  EXPECT_TRUE(filter.excluded("build/out.o", false));
  EXPECT_FALSE(filter.excluded("src/main.cpp", false));
}

TEST(Filter, root_is_never_excluded) {
  Filter filter = makeFilter({".*", "/"});
  EXPECT_FALSE(filter.excluded("", true));
  EXPECT_FALSE(filter.excludedSelf("", true));
  EXPECT_FALSE(filter.excluded("/", false));
}

// sersync 2.5's sample rules under fsrelay's single convention (relative path, directories end in "/").
// sersync matched "(.*)\.svn" against paths without a trailing slash; here a directory's subject is
// "a/.svn/", which "(.*)\.svn" does not match. To exclude a directory and its subtree a user writes a rule
// that ends in "/": "(.*/)?\.svn/" (exactly .svn at any depth) or ".*\.svn/?" (files and directories).
TEST(Filter, sersync_sample_svn_rule_excludes_files_only) {
  Filter filter = makeFilter({"(.*)\\.svn"});
  EXPECT_TRUE(filter.excluded(".svn", false));
  EXPECT_TRUE(filter.excluded("a/b/x.svn", false));
  EXPECT_FALSE(filter.excluded(".svn", true));
  EXPECT_FALSE(filter.excluded("a/.svn", true));
  EXPECT_FALSE(filter.excluded("a/.svn/entries", false));
}

TEST(Filter, slash_terminated_svn_rule_excludes_directories_and_their_subtree) {
  Filter filter = makeFilter({"(.*/)?\\.svn/"});
  EXPECT_TRUE(filter.excluded(".svn", true));
  EXPECT_TRUE(filter.excluded("a/b/.svn", true));
  EXPECT_TRUE(filter.excluded("a/.svn/entries", false));
  EXPECT_TRUE(filter.excluded("a/.svn/pristine/ab/cd", false));
  EXPECT_FALSE(filter.excluded("a/x.svn", true));   // only a component named exactly .svn
  EXPECT_FALSE(filter.excluded(".svn", false));     // a regular file named .svn is not a directory
  EXPECT_FALSE(filter.excluded("a/.svnx/y", false));
}

TEST(Filter, optional_slash_rule_excludes_files_and_directories) {
  Filter filter = makeFilter({".*\\.svn/?"});
  EXPECT_TRUE(filter.excluded("a/.svn", true));
  EXPECT_TRUE(filter.excluded("a/.svn/entries", false));
  EXPECT_TRUE(filter.excluded("a/.svn", false));
}

TEST(Filter, sersync_sample_gz_rule_excludes_gz_files_at_any_depth) {
  Filter filter = makeFilter({"(.*)\\.gz"});
  EXPECT_TRUE(filter.excluded("x.gz", false));
  EXPECT_TRUE(filter.excluded("logs/2024/app.log.gz", false));
  EXPECT_FALSE(filter.excluded("x.gzip", false));
  EXPECT_FALSE(filter.excluded("archive.gz", true));  // a directory: its subject is "archive.gz/"
  EXPECT_FALSE(filter.excluded("archive.gz/readme", false));
}

// "^info/*" is "info" followed by any number of slashes: it matches the top-level directory "info/"
// (so its whole subtree) and also a top-level file named "info", but nothing deeper or longer.
TEST(Filter, sersync_sample_info_rule_excludes_the_top_level_info_directory) {
  Filter filter = makeFilter({"^info/*"});
  EXPECT_TRUE(filter.excluded("info", true));
  EXPECT_TRUE(filter.excluded("info/a.html", false));
  EXPECT_TRUE(filter.excluded("info/a/b.html", false));
  EXPECT_TRUE(filter.excluded("info", false));
  EXPECT_FALSE(filter.excluded("information", true));
  EXPECT_FALSE(filter.excluded("information/x", false));
  EXPECT_FALSE(filter.excluded("sub/info", true));
  EXPECT_FALSE(filter.excluded("sub/info/x", false));
}

TEST(Filter, sersync_sample_static_rule_excludes_the_top_level_static_directory) {
  Filter filter = makeFilter({"(.*)\\.svn", "(.*)\\.gz", "^info/*", "^static/*"});
  EXPECT_TRUE(filter.excluded("static/css/site.css", false));
  EXPECT_TRUE(filter.excluded("static", true));
  EXPECT_FALSE(filter.excluded("statics/x", false));
  EXPECT_FALSE(filter.excluded("www/static/x", false));
  EXPECT_FALSE(filter.excluded("www/index.html", false));
}

TEST(Filter, bad_regex_reports_expression_reason_and_line) {
  FilterConf conf;
  conf.enabled = true;
  conf.excludes.push_back(ExcludeRule{"(.*)\\.gz", 7});
  conf.excludes.push_back(ExcludeRule{"([a-z]+", 8});
  std::string error;
  int line = 0;
  auto filter = Filter::build(conf, &error, &line);
  EXPECT_FALSE(filter.has_value());
  EXPECT_EQ(line, 8);
  EXPECT_EQ(error.rfind("([a-z]+: ", 0), 0u) << error;
  EXPECT_GT(error.size(), std::string("([a-z]+: ").size()) << "the regex_error text is missing";
}

TEST(Filter, back_reference_rule_still_works) {
  Filter filter = makeFilter({"(ab)\\1"});
  EXPECT_TRUE(filter.excluded("abab", false));
  EXPECT_FALSE(filter.excluded("abba", false));
}

// Near PATH_MAX (4096). libstdc++'s backtracking matcher would need over 1 MiB of stack for these
// (one recursion per byte); passes under `ulimit -s 256` because the filter does not use it.
TEST(Filter, path_near_path_max_is_matched) {
  Filter filter = makeFilter({"(.*)\\.gz", "(.*/)?\\.svn/"});
  std::string deep;
  for (int i = 0; i < 15; ++i) deep += std::string(250, static_cast<char>('a' + i)) + "/";
  EXPECT_TRUE(filter.excluded(deep + "file.gz", false));
  EXPECT_FALSE(filter.excluded(deep + "file.txt", false));
  EXPECT_TRUE(filter.excluded(deep + ".svn/x", false));
}

// A rule that makes a backtracking matcher take exponential time must not hang the watcher on a
// file name built to trigger it.
TEST(Filter, catastrophic_backtracking_rule_is_matched_in_polynomial_time) {
  Filter filter = makeFilter({"(a*)*b"});
  std::string name(200, 'a');
  EXPECT_FALSE(filter.excluded(name + "cb", false));
  EXPECT_TRUE(filter.excluded(name + "b", false));
}

TEST(Filter, names_are_bytes) {
  Filter filter = makeFilter({"caf\xC3\xA9/", ".*\\.\xFF"});
  EXPECT_TRUE(filter.excluded("caf\xC3\xA9/menu", false));
  EXPECT_TRUE(filter.excluded("dir/x.\xFF", false));
  EXPECT_FALSE(filter.excluded("dir/x.\xFE", false));
}

// The literal prefilter must never change an answer: it may only reject what std::regex rejects.
using filter_detail::CompiledRule;

TEST(CompiledRule, reads_literal_pieces_of_common_rules) {
  auto gz = CompiledRule::compile(R"((.*)\.gz)");
  EXPECT_EQ(gz.suffix, ".gz");
  EXPECT_EQ(gz.prefix, "");
  auto info = CompiledRule::compile("^info/*");
  EXPECT_EQ(info.prefix, "info");
  EXPECT_EQ(info.suffix, "");
  auto swap = CompiledRule::compile(R"(.*\.sw[a-px])");
  EXPECT_EQ(swap.inner, std::vector<std::string>{".sw"});
  auto probe = CompiledRule::compile("4913");
  EXPECT_TRUE(probe.literal);
  EXPECT_TRUE(probe.matches("4913"));
  EXPECT_FALSE(probe.matches("49130"));
  auto both = CompiledRule::compile(R"(^static/.*\.css$)");
  EXPECT_EQ(both.prefix, "static/");
  EXPECT_EQ(both.suffix, ".css");
  // A top-level alternation has no required pieces.
  auto alt = CompiledRule::compile("abc|def");
  EXPECT_TRUE(alt.prefix.empty() && alt.suffix.empty() && alt.inner.empty() && !alt.literal);
  EXPECT_TRUE(alt.matches("def"));
}

TEST(CompiledRule, agrees_with_std_regex_on_random_rules_and_subjects) {
  static const char* const kTokens[] = {
      "a", "b", "/", ".", "\\.", "~", "*", "+", "?", "*?", "{1,2}", "{2}", "(", ")", "(?:", "|", "[ab]",
      "[^a]", "[a-c]", "[.]", "[\\]]", "\\d", "\\w", "\\b", "^", "$", "\\/", "\\-", "\\~", "]", "}",
      "[]a]", "[^]a]", "\\x61", "\\1", "(a|b)", ".*", "(.*/)?", "a", "b", "/", "\\\\", "[[:alpha:]]", "(?=a)", "(?!b)"};
  static const char kSubjectBytes[] = "abc/.~-1\\]";
  std::mt19937_64 rng(20240611);
  auto uniform = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  int compiled = 0;
  int prefiltered = 0;
  for (int round = 0; round < 4000; ++round) {
    // No quantifier right after another: libstdc++'s backtracking matcher, the reference here, takes
    // minutes on stacked quantifiers such as ".*?*?+" even for 8-byte subjects.
    auto isQuantifier = [](std::string_view t) { return t.find_first_of("*+?{") == 0; };
    std::string pattern;
    std::string_view last;
    for (std::size_t k = 1 + uniform(6); k > 0;) {
      std::string_view token = kTokens[uniform(std::size(kTokens))];
      if (isQuantifier(token) && isQuantifier(last)) continue;
      pattern += token;
      last = token;
      --k;
    }
    std::optional<std::regex> reference;
    try {
      reference.emplace(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
    }
    std::optional<CompiledRule> rule;
    try {
      rule.emplace(CompiledRule::compile(pattern));
    } catch (const std::regex_error&) {
    }
    ASSERT_EQ(reference.has_value(), rule.has_value()) << pattern;
    if (!rule) continue;
    ++compiled;
    if (rule->literal || !rule->prefix.empty() || !rule->suffix.empty() || !rule->inner.empty()) ++prefiltered;
    for (int s = 0; s < 40; ++s) {
      std::string subject;
      for (std::size_t k = uniform(9); k > 0; --k) subject += kSubjectBytes[uniform(sizeof kSubjectBytes - 1)];
      ASSERT_EQ(rule->matches(subject), std::regex_match(subject, *reference))
          << "pattern " << pattern << " subject " << subject;
    }
    // Long subjects, against a reference that cannot backtrack exponentially on them: this checks the
    // prefilter on pieces far apart.
    std::optional<std::regex> longReference;
    try {
      longReference.emplace(pattern, std::regex::ECMAScript | std::regex_constants::__polynomial);
    } catch (const std::regex_error&) {
      continue;  // back-references
    }
    std::string padding(300, "ab/."[uniform(4)]);
    for (const std::string& subject : {padding, padding + "~", "a" + padding, padding + "a/b", "/" + padding + "."}) {
      ASSERT_EQ(rule->matches(subject), std::regex_match(subject, *longReference))
          << "pattern " << pattern << " long subject of " << subject.size() << " bytes";
    }
  }
  EXPECT_GT(compiled, 1000);
  EXPECT_GT(prefiltered, 300);
}

// excluded() checks each rule's literal pieces once for all the subjects of a path; the answer must stay
// that of every rule against every ancestor's subject and the path's own, one std::regex each.
TEST(Filter, excluded_agrees_with_every_ancestor_checked_by_std_regex) {
  static const char* const kRules[] = {R"((.*/)?\.svn/)", R"((.*)\.gz)", "^info/*", "^static/*", "a/", "a", "b/c/",
                                       "a/b", ".*/b/", "[ab]/", "a.*", ".*a", "a|b/", "(ab)\\1/", "a{2}/?", ""};
  static const char* const kComponents[] = {"a", "b", "c", "ab", ".svn", "info", "static", "x.gz", "a.gz", "aa"};
  std::mt19937_64 rng(7321);
  auto uniform = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> expressions;
    for (std::size_t k = 1 + uniform(3); k > 0; --k) expressions.push_back(kRules[uniform(std::size(kRules))]);
    Filter filter = makeFilter(expressions);
    std::vector<std::regex> reference;
    for (const auto& e : expressions) reference.emplace_back(e, std::regex::ECMAScript);
    for (int s = 0; s < 30; ++s) {
      std::string path = kComponents[uniform(std::size(kComponents))];
      for (std::size_t k = uniform(4); k > 0; --k) {
        path += "/";
        path += kComponents[uniform(std::size(kComponents))];
      }
      bool isDir = uniform(2) == 0;
      std::string whole = isDir ? path + "/" : path;
      bool expected = false;
      for (std::size_t i = 0; i < whole.size() && !expected; ++i) {
        if (whole[i] != '/' && i + 1 != whole.size()) continue;
        for (const auto& r : reference) expected = expected || std::regex_match(whole.substr(0, i + 1), r);
      }
      ASSERT_EQ(filter.excluded(path, isDir), expected) << path << (isDir ? " (dir)" : "") << ", " << expressions[0];
    }
  }
}

std::vector<std::string> defaultTempPatterns() { return TuningConf{}.tempPatterns; }

TEST(TempNames, default_patterns_match_editor_temp_files) {
  std::string error;
  auto names = TempNames::build(defaultTempPatterns(), &error);
  ASSERT_TRUE(names.has_value()) << error;
  for (const char* name : {".index.html.swp", ".x.swx", "a.swa", "notes.txt~", "4913", ".#draft.org"}) {
    EXPECT_TRUE(names->isTemp(name)) << name;
  }
  for (const char* name : {"index.html", "x.swq", "x.swy", "14913", "49130", "~notes", "a.#b", ".htaccess"}) {
    EXPECT_FALSE(names->isTemp(name)) << name;
  }
}

TEST(TempNames, pattern_must_match_the_whole_base_name) {
  std::string error;
  auto names = TempNames::build({"tmp"}, &error);
  ASSERT_TRUE(names.has_value());
  EXPECT_TRUE(names->isTemp("tmp"));
  EXPECT_FALSE(names->isTemp("tmpfile"));
  EXPECT_FALSE(names->isTemp("a.tmp"));
}

TEST(TempNames, no_patterns_match_nothing) {
  TempNames none;
  EXPECT_FALSE(none.isTemp("4913"));
  std::string error;
  auto built = TempNames::build({}, &error);
  ASSERT_TRUE(built.has_value());
  EXPECT_FALSE(built->isTemp("x~"));
}

TEST(TempNames, bad_pattern_reports_expression_and_reason) {
  std::string error;
  auto names = TempNames::build({".*~", "[a-"}, &error);
  EXPECT_FALSE(names.has_value());
  EXPECT_EQ(error.rfind("[a-: ", 0), 0u) << error;
}

}  // namespace
}  // namespace fsrelay
