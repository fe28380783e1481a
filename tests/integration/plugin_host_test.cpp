// The plugin host as an operator meets it: -m, plugin sections with bad keys, unknown plugins, --list-plugins.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/check_setup.hpp"

namespace fsrelay::test {
namespace {

TEST(PluginHost, m_with_an_unknown_plugin_names_it_and_the_folders_searched) {
  CheckSetup c;
  RunResult r = c.run({"-m", "nosuchplugin", "-o", c.configPath.string()});
  EXPECT_FALSE(r.timedOut) << r.output;
  EXPECT_EQ(r.status.code(), 2) << r.output;
  EXPECT_NE(r.output.find("plugin 'nosuchplugin' not found: no fsrelay-nosuchplugin.so in"), std::string::npos)
      << r.output;
}

TEST(PluginHost, an_undeclared_key_in_a_section_is_an_error_with_its_line) {
  CheckSetup c;
  c.config.enablePlugin("command").pluginSection(
      "<plugin name=\"command\">\n"
      "\t<param prefix=\"/bin/true\" sufix=\"typo\"/>\n"
      "    </plugin>");
  int line = c.config.lineOf("sufix=");
  ASSERT_GT(line, 0);
  RunResult r = c.run({"--check", "-o", c.configPath.string()});
  EXPECT_EQ(r.status.code(), 2) << r.output;
  std::string expected = c.configPath.string() + ":" + std::to_string(line) + ": error: plugin command has no setting 'param.sufix'";
  EXPECT_NE(r.output.find(expected), std::string::npos) << "expected: " << expected << "\n" << r.output;
}

TEST(PluginHost, sersync_names_map_to_ours_and_check_lists_each_target) {
  CheckSetup c;
  c.config.enablePlugin("refreshCDN").pluginSection(
      "<plugin name=\"refreshCDN\">\n"
      "\t<localpath watch=\"" + xmlEscape(c.src.string()) + "\">\n"
      "\t    <cdninfo domainname=\"127.0.0.1\" port=\"8080\" username=\"u\" passwd=\"p\"/>\n"
      "\t    <sendurl base=\"http://www.example.com/site\"/>\n"
      "\t    <regexurl regex=\"false\" match=\"\"/>\n"
      "\t</localpath>\n"
      "    </plugin>");
  RunResult r = c.run({"--check", "-o", c.configPath.string()});
  EXPECT_TRUE(r.status.success()) << r.output;
  EXPECT_NE(r.output.find("plugin refreshcdn: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("to: refreshcdn " + c.src.string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("to: rsync " + c.src.string()), std::string::npos) << r.output;
}

TEST(PluginHost, list_plugins_shows_every_in_tree_plugin_with_its_version) {
  CheckSetup c;
  RunResult r = c.run({"--list-plugins"});
  EXPECT_TRUE(r.status.success()) << r.output;
  for (const char* name : {"rsync", "command", "socket", "http", "refreshcdn"})
    EXPECT_NE(r.output.find(std::string("\n") + name + "\t"), std::string::npos) << name << " missing:\n" << r.output;
  EXPECT_NE(r.output.find("API 1."), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fsrelay::test
