// Plugin sections → instances and settings: key flattening, repeats, instance elements, <head><host>.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/config/config_checks.hpp"
#include "core/plugin/plugin_sections.hpp"
#include "core/plugin/plugin_settings.hpp"

namespace fsrelay {
namespace {

using sdk::KeyType;

const sdk::ConfigKey kKeys[] = {
    {"deshost.ip", KeyType::String, "127.0.0.1", "receiver", 0},
    {"deshost.port", KeyType::Int, "8009", "port", 0},
    {"filter.start", KeyType::Bool, "false", "filter on", 0},
    {"filter.include.expression", KeyType::String, nullptr, "regex", 1},
    {"param.prefix", KeyType::String, nullptr, "program", 0},
    {"host.hostip", KeyType::String, "127.0.0.1", "bind", 0},
    {"host.port", KeyType::Int, "8008", "port", 0},
};

sdk::PluginDescriptor descriptor(const char* instanceElement) {
  return sdk::PluginDescriptor{1, 0, "x", "demo", "1", "demo", kKeys, sizeof kKeys / sizeof kKeys[0], nullptr,
                               instanceElement};
}

XmlNode el(std::string name, std::vector<std::pair<std::string, std::string>> attrs, std::vector<XmlNode> kids = {},
           int line = 1) {
  return XmlNode{std::move(name), std::move(attrs), std::move(kids), "", line};
}

std::string valueOf(const InstancePlan& p, const std::string& key) {
  for (const auto& v : p.values)
    if (v.key == key) return v.value;
  return "<unset>";
}

std::string tmpRoot() { return std::filesystem::temp_directory_path().string(); }

TEST(PluginSections, keys_are_element_dot_attribute_paths_and_repeats_keep_order) {
  XmlNode section = el("plugin", {{"name", "command"}},
                       {el("param", {{"prefix", "/bin/echo"}}, {}, 3),
                        el("filter", {{"start", "true"}},
                           {el("include", {{"expression", "a.*"}}, {}, 5), el("include", {{"expression", "b.*"}}, {}, 6)},
                           4)},
                       2);
  auto d = descriptor(nullptr);
  SectionPlan plan = planSection(&section, d, {"/srv/a", "/srv/b"}, HostConf{});
  ASSERT_TRUE(plan.error.empty()) << plan.error;
  ASSERT_EQ(plan.instances.size(), 2u);  // no localpath: every sersync root
  EXPECT_EQ(plan.instances[0].root, "/srv/a");
  EXPECT_EQ(plan.instances[1].root, "/srv/b");
  EXPECT_EQ(valueOf(plan.instances[0], "param.prefix"), "/bin/echo");
  EXPECT_EQ(valueOf(plan.instances[0], "filter.start"), "true");

  PluginSettings s;
  std::string err;
  ASSERT_TRUE(s.build(d, plan.instances[0].values, &err)) << err;
  std::vector<std::string> includes;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (std::string(s.data()[i].key) == "filter.include.expression")
      includes.emplace_back(s.data()[i].value.data, s.data()[i].value.size);
  EXPECT_EQ(includes, (std::vector<std::string>{"a.*", "b.*"}));
}

TEST(PluginSections, each_instance_element_is_its_own_instance) {
  XmlNode section = el("plugin", {{"name", "socket"}},
                       {el("localpath", {{"watch", tmpRoot()}},
                           {el("deshost", {{"ip", "127.0.0.1"}, {"port", "9001"}}, {}, 4),
                            el("deshost", {{"ip", "127.0.0.1"}, {"port", "9002"}}, {}, 5)},
                           3)});
  SectionPlan plan = planSection(&section, descriptor("deshost"), {"/unused"}, HostConf{});
  ASSERT_TRUE(plan.error.empty()) << plan.error;
  ASSERT_EQ(plan.instances.size(), 2u);
  EXPECT_EQ(plan.instances[0].label, "127.0.0.1:9001");
  EXPECT_EQ(plan.instances[1].label, "127.0.0.1:9002");
  EXPECT_EQ(valueOf(plan.instances[1], "deshost.port"), "9002");
  EXPECT_EQ(plan.instances[1].line, 5);
  EXPECT_EQ(plan.instances[0].root, config_detail::normalisePath(tmpRoot()));
}

TEST(PluginSections, instance_names_keep_credentials_and_tuning_out) {
  XmlNode section = el("plugin", {{"name", "http"}},
                       {el("localpath", {{"watch", tmpRoot()}},
                           {el("deshost", {{"url", "https://user:secret@hooks.example/h?token=abc"}, {"timeout_ms", "900"}},
                               {}, 4)},
                           3)});
  SectionPlan plan = planSection(&section, descriptor("deshost"), {}, HostConf{});
  ASSERT_EQ(plan.instances.size(), 1u);
  EXPECT_EQ(plan.instances[0].label, "https://hooks.example/h");
}

TEST(PluginSections, head_host_is_the_fallback_for_host_keys) {
  auto d = descriptor(nullptr);
  SectionPlan plan = planSection(nullptr, d, {"/srv"}, HostConf{"localhost", 8010});
  ASSERT_EQ(plan.instances.size(), 1u);
  EXPECT_EQ(valueOf(plan.instances[0], "host.hostip"), "localhost");
  EXPECT_EQ(valueOf(plan.instances[0], "host.port"), "8010");

  XmlNode section = el("plugin", {{"name", "http"}}, {el("host", {{"hostip", "127.0.0.2"}}, {}, 2)});
  plan = planSection(&section, d, {"/srv"}, HostConf{"localhost", 8010});
  EXPECT_EQ(valueOf(plan.instances[0], "host.hostip"), "127.0.0.2");
  EXPECT_EQ(valueOf(plan.instances[0], "host.port"), "<unset>");  // the plugin's default applies
}

TEST(PluginSections, a_missing_watch_folder_is_an_error_with_its_line) {
  XmlNode section = el("plugin", {{"name", "socket"}},
                       {el("localpath", {{"watch", "/nonexistent/fsrelay/root"}}, {}, 7)});
  SectionPlan plan = planSection(&section, descriptor("deshost"), {}, HostConf{});
  EXPECT_FALSE(plan.error.empty());
  EXPECT_EQ(plan.errorLine, 7);
}

TEST(PluginSettings, unknown_keys_and_unwanted_repeats_name_the_line) {
  auto d = descriptor(nullptr);
  PluginSettings s;
  std::string err;
  int line = 0;
  EXPECT_FALSE(s.build(d, {{"param.prefix", "x", 3}, {"param.sufix", "y", 4}}, &err, &line));
  EXPECT_NE(err.find("param.sufix"), std::string::npos) << err;
  EXPECT_EQ(line, 4);
  EXPECT_FALSE(s.build(d, {{"param.prefix", "x", 3}, {"param.prefix", "y", 9}}, &err, &line));
  EXPECT_EQ(line, 9);
  EXPECT_FALSE(s.build(d, {{"param.prefix", "x", 3}, {"deshost.port", "eighty", 5}}, &err, &line));
  EXPECT_NE(err.find("integer"), std::string::npos) << err;
  EXPECT_FALSE(s.build(d, {}, &err, &line));  // param.prefix is required
  EXPECT_NE(err.find("param.prefix"), std::string::npos) << err;
}

TEST(PluginSettings, defaults_are_filled_in_and_absent_repeated_keys_stay_absent) {
  auto d = descriptor(nullptr);
  PluginSettings s;
  std::string err;
  ASSERT_TRUE(s.build(d, {{"param.prefix", "x", 3}}, &err)) << err;
  bool sawInclude = false, sawPort = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::string k = s.data()[i].key;
    sawInclude = sawInclude || k == "filter.include.expression";
    if (k == "deshost.port") sawPort = std::string(s.data()[i].value.data, s.data()[i].value.size) == "8009";
  }
  EXPECT_FALSE(sawInclude);
  EXPECT_TRUE(sawPort);
}

TEST(PluginSections, section_names_map_to_lower_case_file_names) {
  EXPECT_EQ(pluginFileName("refreshCDN"), "refreshcdn");
  EXPECT_EQ(pluginFileName("socket"), "socket");
}

}  // namespace
}  // namespace fsrelay
