// Unit tests of the command plugin's log text: printable escaping, argv rendering, bounded output lines.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command/command_format.hpp"

namespace fsrelay::command {
namespace {

using Words = std::vector<std::string>;

std::string printable(const std::string& s) {
  std::string out;
  appendPrintable(out, s);
  return out;
}

TEST(CommandFormat, printable_escapes_control_bytes_and_invalid_utf8) {
  EXPECT_EQ(printable("plain"), "plain");
  EXPECT_EQ(printable("new\nline\ttab\r"), "new\\x0Aline\\x09tab\\x0D");
  EXPECT_EQ(printable("\xff\xfe"), "\\xFF\\xFE");
  EXPECT_EQ(printable("\xc3\xbc ok"), "\xc3\xbc ok");
  EXPECT_EQ(printable("\xc3\x28"), "\\xC3(");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
}

TEST(CommandFormat, argv_is_quoted_where_needed_and_stays_one_line) {
  EXPECT_EQ(renderArgv({"/bin/sh", "/srv/a.php"}), "/bin/sh /srv/a.php");
  EXPECT_EQ(renderArgv({"hook", "/srv/with space", "it's", ""}), "hook '/srv/with space' 'it'\\''s' ''");
  EXPECT_EQ(renderArgv({"hook", "/srv/new\nline"}), "hook '/srv/new\\x0Aline'");
  EXPECT_EQ(renderArgv({"hook", "$(id)"}), "hook '$(id)'");
}

TEST(CommandFormat, argv_of_a_big_batch_is_bounded) {
  Words argv = {"hook"};
  for (int i = 0; i < 1000; ++i) argv.push_back("/srv/file-" + std::to_string(i));
  const std::string line = renderArgv(argv, 8, 1024);
  EXPECT_NE(line.find("... (993 more)"), std::string::npos) << line;
  EXPECT_LT(line.size(), 1100u);
  const std::string cut = renderArgv({"hook", std::string(5000, 'x')}, 8, 100);
  EXPECT_LE(cut.size(), 100u);
  EXPECT_EQ(cut.substr(cut.size() - 3), "...");
}

TEST(CommandFormat, output_keeps_the_last_lines_printable_and_cut) {
  bool truncated = true;
  EXPECT_EQ(outputLines("", 5, 100, &truncated), Words{});
  EXPECT_FALSE(truncated);
  EXPECT_EQ(outputLines("one\ntwo\r\n\n  \nthree", 5, 100, &truncated), Words({"one", "two", "three"}));
  EXPECT_FALSE(truncated);

  std::string many;
  for (int i = 0; i < 30; ++i) many += "line " + std::to_string(i) + "\n";
  Words last = outputLines(many, 3, 100, &truncated);
  EXPECT_EQ(last, Words({"line 27", "line 28", "line 29"}));
  EXPECT_TRUE(truncated);

  Words cut = outputLines(std::string(1000, 'z') + "\n\xff\x01", 5, 50, &truncated);
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_LE(cut[0].size(), 50u);
  EXPECT_EQ(cut[1], "\\xFF\\x01");
}

}  // namespace
}  // namespace fsrelay::command
