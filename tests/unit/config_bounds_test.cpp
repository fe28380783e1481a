// The config loader against oversized input: the 1 MiB file limit, attributes per element, the number of
// diagnostics, and values cut short where diagnostics quote them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"
#include "tests/unit/config_test_support.hpp"
#include "core/config/config.hpp"
#include "core/config/diagnostics.hpp"
#include "core/config/xml_limits.hpp"

namespace fsrelay {
namespace {

using test::dump;
using test::sourceDir;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Severity = Diagnostic::Severity;
using config_detail::kMaxConfigBytes;

using test::TempDir;  // tests/support/temp_dir.hpp

void writeFile(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }


int lineOf(const std::string& text, const std::string& needle) {
  const std::size_t at = text.find(needle);
  if (at == std::string::npos) return -1;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

// A valid config watching /tmp, with extra XML inside <head> before <sersync>, and padding in a comment after
// it so that the whole text has exactly `size` bytes (when size is given).
std::string config(const std::string& inHead = "", std::size_t size = 0) {
  const std::string start = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<head version=\"2.5\">\n" + inHead +
                            "  <sersync>\n    <localpath watch=\"/tmp\"/>\n  </sersync>\n";
  const std::string end = "</head>\n";
  if (size == 0) return start + end;
  const std::string open = "  <!-- ", close = " -->\n";
  const std::size_t fixed = start.size() + open.size() + close.size() + end.size();
  return start + open + std::string(size > fixed ? size - fixed : 0, 'p') + close + end;
}

// Exactly one error, at line, containing every part; and the load took less than a second.
void expectOneError(const LoadResult& r, Clock::duration took, int line, std::initializer_list<std::string> parts) {
  EXPECT_LT(took, std::chrono::seconds(1));
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
  const Diagnostic& d = r.diagnostics[0];
  EXPECT_EQ(d.severity, Severity::Error) << dump(r);
  EXPECT_EQ(d.line, line) << dump(r);
  for (const std::string& p : parts)
    EXPECT_NE(d.message.find(p), std::string::npos) << "no \"" << p << "\" in\n" << dump(r);
  EXPECT_LT(d.message.size(), 300u) << dump(r);
}

template <class Fn>
LoadResult timed(Clock::duration* took, Fn&& load) {
  const auto start = Clock::now();
  LoadResult r = load();
  *took = Clock::now() - start;
  return r;
}

// ---- the size of the file ----

TEST(ConfigBounds, file_of_exactly_1_mib_loads) {
  TempDir tmp;
  const fs::path path = tmp.path() / "confxml.xml";
  const std::string text = config("", kMaxConfigBytes);
  ASSERT_EQ(text.size(), kMaxConfigBytes);
  writeFile(path, text);
  const LoadResult r = loadConfig(path.string());
  EXPECT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
}

TEST(ConfigBounds, file_over_1_mib_is_one_error_for_the_file_before_parsing) {
  TempDir tmp;
  const fs::path path = tmp.path() / "confxml.xml";
  // Valid XML one byte over the limit, then a far larger file: the same single diagnostic, without line.
  for (std::size_t size : {kMaxConfigBytes + 1, std::size_t{20} * kMaxConfigBytes}) {
    writeFile(path, config("", size));
    Clock::duration took{};
    const LoadResult r = timed(&took, [&] { return loadConfig(path.string()); });
    expectOneError(r, took, 0, {"larger than 1 MiB", "1048576 bytes", "not read"});
    EXPECT_EQ(r.diagnostics[0].format().rfind(path.string() + ": error: the config file is larger than 1 MiB", 0), 0u)
        << r.diagnostics[0].format();
    // From memory the same.
    const LoadResult fromText = loadConfigText(config("", size), path.string());
    ASSERT_EQ(fromText.diagnostics.size(), 1u) << dump(fromText);
    EXPECT_EQ(fromText.diagnostics[0].format(), r.diagnostics[0].format());
  }
}

// A device that never ends is read up to the limit, not until memory runs out.
TEST(ConfigBounds, endless_device_is_refused_after_1_mib) {
  Clock::duration took{};
  const LoadResult r = timed(&took, [] { return loadConfig("/dev/zero"); });
  expectOneError(r, took, 0, {"larger than 1 MiB"});
}

// ---- attributes per element ----

TEST(ConfigBounds, element_with_100_attributes_loads) {
  std::string attributes;
  for (int i = 0; i < 99; ++i) attributes += " k" + std::to_string(i) + "=\"v\"";
  // A plugin section: its attributes belong to the plugin, so the loader itself says nothing about them.
  const LoadResult r = loadConfigText(config("  <plugin name=\"p\"" + attributes + "/>\n"), "c.xml");
  EXPECT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
}

// TinyXML-2 compares each attribute with every earlier one of its element: 100,000 attributes in a file under
// 1 MiB took minutes. Refused before parsing, at the element's line.
TEST(ConfigBounds, element_with_100000_attributes_is_one_error_within_a_second) {
  std::string attributes;
  for (int i = 0; i < 100000; ++i) attributes += " a" + std::to_string(i) + "=''";
  const std::string text = config("  <!-- a > that is no tag's end, \"quotes\" = and a='1' -->\n  <debug\n" +
                                  attributes + "/>\n");
  ASSERT_LT(text.size(), kMaxConfigBytes);
  Clock::duration took{};
  const LoadResult r = timed(&took, [&] { return loadConfigText(text, "c.xml"); });
  expectOneError(r, took, lineOf(text, "<debug"), {"<debug>", "more than 100 attributes"});
}

// '=' and '>' inside quoted values, comments, CDATA and declarations are not attributes.
TEST(ConfigBounds, equals_signs_in_values_comments_and_cdata_are_not_counted) {
  const std::string many(200, '=');
  const std::string text = config("  <!-- " + many + " -->\n  <plugin name=\"p\" expr=\"" + many + ">" + many +
                                  "\" other='" + many + "'><![CDATA[" + many + "]]></plugin>\n");
  const LoadResult r = loadConfigText(text, "c.xml");
  EXPECT_TRUE(r.config.has_value()) << dump(r);
}

// ---- regexes whose repeats multiply ----

// libstdc++ builds every copy a repeat asks for (and gives up past 100,000 states, after about 50 ms); nested
// repeats multiply. Refused from an estimate, before compiling.
TEST(ConfigBounds, regex_whose_repeats_multiply_is_refused_before_compiling) {
  const std::string text =
      config("  <filter start=\"true\"><exclude expression=\"((a{1000}){1000}){1000}\"/></filter>\n");
  Clock::duration took{};
  const LoadResult r = timed(&took, [&] { return loadConfigText(text, "c.xml"); });
  expectOneError(r, took, 3, {"((a{1000}){1000}){1000}", "expands to about", "at most 100000"});
  EXPECT_LT(took, std::chrono::milliseconds(20));
}

// 200 expressions of 90,000 states each would take 10 s to compile (and memory in the filter): the file's
// expressions share a budget of 500,000 states.
TEST(ConfigBounds, regexes_of_one_file_share_a_budget_of_states) {
  std::string excludes;
  for (int i = 0; i < 200; ++i) excludes += "    <exclude expression=\"(a{300}){300}\"/>\n";
  const std::string text = config("  <filter start=\"true\">\n" + excludes + "  </filter>\n");
  Clock::duration took{};
  const LoadResult r = timed(&took, [&] { return loadConfigText(text, "c.xml"); });
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_FALSE(r.config.has_value());
  ASSERT_FALSE(r.diagnostics.empty());
  // Five fit (5 x 90,600 states), the sixth is the first refused, at its own line.
  EXPECT_EQ(r.diagnostics[0].line, 4 + 5) << dump(r);
  EXPECT_NE(r.diagnostics[0].message.find("at most 500000 states"), std::string::npos) << dump(r);

  // Thousands of ordinary expressions are far within it.
  std::string ordinary;
  for (int i = 0; i < 5000; ++i)
    ordinary += "    <exclude expression=\"^cache/.*\\.tmp" + std::to_string(i) + "$\"/>\n";
  const LoadResult ok = loadConfigText(config("  <filter start=\"true\">\n" + ordinary + "  </filter>\n"), "c.xml");
  EXPECT_TRUE(ok.config.has_value()) << dump(ok);
}

// ---- the number of diagnostics ----

TEST(ConfigBounds, thousands_of_warnings_are_summed_up_after_the_first_100) {
  std::string unknown;
  for (int i = 0; i < 5000; ++i) unknown += "  <x" + std::to_string(i) + "/>\n";
  Clock::duration took{};
  const LoadResult r = timed(&took, [&] { return loadConfigText(config(unknown), "c.xml"); });
  EXPECT_LT(took, std::chrono::seconds(1));
  EXPECT_TRUE(r.config.has_value()) << "warnings only: the file still loads";
  ASSERT_EQ(r.diagnostics.size(), config_detail::DiagnosticSink::kMaxDiagnostics + 1);
  EXPECT_EQ(r.diagnostics[0].line, 3);
  const Diagnostic& last = r.diagnostics.back();
  EXPECT_EQ(last.severity, Severity::Warning);
  EXPECT_EQ(last.line, 0);
  EXPECT_EQ(last.message, "4900 more warnings not shown (only the first 100 diagnostics are)");
}

// An error beyond the first 100 diagnostics is not shown, but the file is refused and the summary says so.
TEST(ConfigBounds, an_error_past_the_first_100_diagnostics_still_refuses_the_file) {
  std::string unknown;
  for (int i = 0; i < 150; ++i) unknown += "  <x/>\n";
  const LoadResult r = loadConfigText(config(unknown + "  <debug start=\"maybe\"/>\n"), "c.xml");
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.diagnostics.size(), 101u);
  EXPECT_EQ(r.diagnostics.back().severity, Severity::Error);
  EXPECT_EQ(r.diagnostics.back().message,
            "1 more error and 50 more warnings not shown (only the first 100 diagnostics are)");
}

// ---- values quoted in diagnostics ----

TEST(ConfigBounds, long_values_are_quoted_by_their_first_80_bytes) {
  const std::string value(10000, 'y');
  const std::string cut = std::string(80, 'y') + "...";
  struct Case {
    std::string inHead;
    std::string expected;  // in the message
    Severity severity;
  };
  const std::vector<Case> cases = {
      {"  <debug start=\"" + value + "\"/>\n", "start=\"" + cut + "\" on <debug> is not a boolean", Severity::Error},
      {"  <host hostip=\"h\" port=\"" + std::string(5000, '9') + "\"/>\n",
       "port=\"" + std::string(80, '9') + "...\" on <host> is out of range", Severity::Error},
      {"  <debug start=\"true\" " + value + "=\"1\"/>\n", "unknown attribute \"" + cut + "\" on <debug>",
       Severity::Warning},
      {"  <" + value + "/>\n", "unknown element <" + cut + "> in <head>", Severity::Warning},
      {"  <fsrelay><log level=\"" + value + "\"/></fsrelay>\n", "level=\"" + cut + "\" on <log>", Severity::Error},
      {"  <filter start=\"true\"><exclude expression=\"(" + std::string(900, 'y') + "\"/></filter>\n",
       "expression \"(" + std::string(79, 'y') + "...\" is not a valid ECMAScript regex", Severity::Error},
  };
  for (const Case& c : cases) {
    const LoadResult r = loadConfigText(config(c.inHead), "c.xml");
    ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
    const Diagnostic& d = r.diagnostics[0];
    EXPECT_EQ(d.severity, c.severity) << dump(r);
    EXPECT_EQ(d.line, 3) << dump(r);
    EXPECT_NE(d.message.find(c.expected), std::string::npos) << "no \"" << c.expected << "\" in\n" << dump(r);
    EXPECT_LT(d.message.size(), 300u) << dump(r);
  }
}

TEST(ConfigBounds, a_long_path_keeps_its_start_and_its_end) {
  const std::string path = "/nonexistent/" + std::string(400, 'd') + "/the-end";
  std::string text = config();
  text.replace(text.find("\"/tmp\""), 6, "\"" + path + "\"");
  const LoadResult r = loadConfigText(text, "c.xml");
  ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
  const std::string& m = r.diagnostics[0].message;
  EXPECT_NE(m.find("watch folder /nonexistent/ddd"), std::string::npos) << m;
  EXPECT_NE(m.find("ddd...ddd"), std::string::npos) << m;
  EXPECT_NE(m.find("ddd/the-end does not exist"), std::string::npos) << m;
  EXPECT_LT(m.size(), 300u) << m;
}

TEST(ConfigBounds, shortening_never_splits_a_utf8_sequence) {
  using config_detail::shortened;
  EXPECT_EQ(shortened("short"), "short");
  EXPECT_EQ(shortened(std::string(80, 'a')), std::string(80, 'a'));
  EXPECT_EQ(shortened(std::string(81, 'a')), std::string(80, 'a') + "...");
  // "x" then 2-byte sequences: byte 80 is the first half of one, so the cut backs off to 79 bytes.
  std::string e;
  for (int i = 0; i < 100; ++i) e += "\xc3\xa9";
  EXPECT_EQ(shortened("x" + e), "x" + e.substr(0, 78) + "...");
  // A 4-byte sequence straddling the limit.
  EXPECT_EQ(shortened(std::string(78, 'a') + "\xf0\x9f\x98\x80" + "z"), std::string(78, 'a') + "...");
  // Bytes that are not UTF-8 are cut where the limit is.
  EXPECT_EQ(shortened(std::string(100, '\xfe')), std::string(80, '\xfe') + "...");
}

}  // namespace
}  // namespace fsrelay
