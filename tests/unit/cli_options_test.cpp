// Unit tests for command-line parsing: sersync's grouped flags and fsrelay's long options.
#include <gtest/gtest.h>

#include <vector>

#include "core/cli/options.hpp"

using fsrelay::parseCommandLine;

namespace {
fsrelay::CliParse parse(std::vector<std::string> args) {
  args.insert(args.begin(), "fsrelay");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parseCommandLine(static_cast<int>(args.size()), argv.data());
}
}  // namespace

TEST(CliOptions, defaults_match_sersync) {
  auto r = parse({});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.options.configPath, "./confxml.xml");
  EXPECT_EQ(r.options.threads, 10);
  EXPECT_FALSE(r.options.fullSync);
  EXPECT_FALSE(r.options.daemonize);
}

TEST(CliOptions, grouped_flags_as_people_type_them) {
  auto r = parse({"-dro", "/etc/confxml.xml"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.options.daemonize);
  EXPECT_TRUE(r.options.fullSync);
  EXPECT_EQ(r.options.configPath, "/etc/confxml.xml");
}

TEST(CliOptions, separate_flags_and_threads) {
  auto r = parse({"-r", "-n", "4", "-o", "x.xml", "--check"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.threads, 4);
  EXPECT_TRUE(r.options.check);
  EXPECT_EQ(r.options.configPath, "x.xml");
}

TEST(CliOptions, plugin_only_takes_a_list) {
  auto r = parse({"-m", "socket,refreshCDN"});
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.options.pluginOnly.size(), 2u);
  EXPECT_EQ(r.options.pluginOnly[1], "refreshCDN");
}

TEST(CliOptions, bad_thread_count_is_an_error) {
  auto r = parse({"-n", "ten"});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("ten"), std::string::npos);
  EXPECT_FALSE(parse({"-n", "0"}).ok);
}

TEST(CliOptions, unknown_option_and_missing_value_are_errors) {
  auto r = parse({"-x"});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("-x"), std::string::npos);
  auto m = parse({"-o"});
  EXPECT_FALSE(m.ok);
  EXPECT_NE(m.error.find("needs a value"), std::string::npos);
  EXPECT_FALSE(parse({"--frobnicate"}).ok);
  EXPECT_FALSE(parse({"stray"}).ok);
}

TEST(CliOptions, long_options) {
  auto r = parse({"--plugin-dir", "/a", "--plugin-dir", "/b", "--log-level", "debug", "--pid-file", "/run/f.pid",
                  "--version", "--help"});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.options.pluginDirs.size(), 2u);
  EXPECT_EQ(r.options.logLevel, "debug");
  EXPECT_EQ(r.options.pidFile, "/run/f.pid");
  EXPECT_TRUE(r.options.version);
  EXPECT_TRUE(r.options.help);
}
