// Unit tests of the command plugin's log text: bounded output lines. (Printable escaping and argv
// rendering are the kit's: plugin_kit_test.cpp.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command/command_format.hpp"

namespace fsrelay::command {
namespace {

using Words = std::vector<std::string>;

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
