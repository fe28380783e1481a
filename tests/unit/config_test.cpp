// Unit tests for the confxml.xml loader: every element, every diagnostic with its line, the real samples.
#include "tests/support/temp_dir.hpp"
#include "tests/unit/config_test_support.hpp"
#include "core/config/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fsrelay {
namespace {

using test::dump;
using test::sourceDir;

namespace fs = std::filesystem;


fs::path fixture(const std::string& name) { return sourceDir() / "tests" / "fixtures" / name; }

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeFile(const fs::path& p, const std::string& text, mode_t mode = 0644) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  ::chmod(p.c_str(), mode);
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// The 1-based line of the first occurrence of needle, so tests do not hard-code line numbers.
int lineOf(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  if (at == std::string::npos) return -1;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

using test::TempDir;  // tests/support/temp_dir.hpp

std::vector<Diagnostic> ofSeverity(const LoadResult& r, Diagnostic::Severity s) {
  std::vector<Diagnostic> out;
  for (const Diagnostic& d : r.diagnostics)
    if (d.severity == s) out.push_back(d);
  return out;
}
std::vector<Diagnostic> errors(const LoadResult& r) { return ofSeverity(r, Diagnostic::Severity::Error); }
std::vector<Diagnostic> warnings(const LoadResult& r) { return ofSeverity(r, Diagnostic::Severity::Warning); }


bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Expects exactly one error, at `line`, whose message contains every one of `parts`.
void expectOneError(const LoadResult& r, int line, std::initializer_list<std::string> parts) {
  EXPECT_FALSE(r.config.has_value());
  std::vector<Diagnostic> e = errors(r);
  ASSERT_EQ(e.size(), 1u) << dump(r);
  EXPECT_EQ(e[0].line, line) << dump(r);
  for (const std::string& p : parts)
    EXPECT_TRUE(contains(e[0].message, p)) << "missing \"" << p << "\" in\n" << dump(r);
}

// One warning at `line` containing every part; the config is still returned.
void expectWarning(const LoadResult& r, int line, std::initializer_list<std::string> parts) {
  EXPECT_TRUE(r.config.has_value()) << dump(r);
  bool found = false;
  for (const Diagnostic& d : warnings(r)) {
    if (d.line != line) continue;
    bool all = true;
    for (const std::string& p : parts) all = all && contains(d.message, p);
    found = found || all;
  }
  EXPECT_TRUE(found) << "no such warning at line " << line << " in\n" << dump(r);
}

// A minimal valid config watching `watch`, with extra XML inside <sersync> and inside <head>.
std::string minimal(const std::string& watch, const std::string& inSersync = "", const std::string& inHead = "") {
  return "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
         "<head version=\"2.5\">\n" +
         inHead +
         "  <sersync>\n"
         "    <localpath watch=\"" +
         watch +
         "\">\n"
         "      <remote ip=\"127.0.0.1\" name=\"www\"/>\n"
         "    </localpath>\n" +
         inSersync +
         "  </sersync>\n"
         "</head>\n";
}

// ---- Diagnostic::format ----

TEST(Config, format_with_line_and_without) {
  Diagnostic e{Diagnostic::Severity::Error, "conf.xml", 12, "bad port"};
  EXPECT_EQ(e.format(), "conf.xml:12: error: bad port");
  Diagnostic w{Diagnostic::Severity::Warning, "conf.xml", 3, "unknown element"};
  EXPECT_EQ(w.format(), "conf.xml:3: warning: unknown element");
  Diagnostic whole{Diagnostic::Severity::Error, "conf.xml", 0, "cannot open"};
  EXPECT_EQ(whole.format(), "conf.xml: error: cannot open");
}

// ---- the real sersync files ----

TEST(Config, sersync_254_sample_parses_without_diagnostics) {
  TempDir tmp;
  std::string text = readFile(fixture("sersync-2.5.4-confxml.xml"));
  ASSERT_FALSE(text.empty()) << fixture("sersync-2.5.4-confxml.xml");
  text = replaceAll(text, "watch=\"/opt/tongbu\"", "watch=\"" + tmp.str() + "\"");
  text = replaceAll(text, "192.0.2.", "127.0.0.");
  const fs::path file = tmp.path() / "confxml.xml";
  writeFile(file, text);

  LoadResult r = loadConfig(file.string());
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.file, file.string());
  EXPECT_EQ(c.host.ip, "localhost");
  EXPECT_EQ(c.host.port, 8008);
  EXPECT_FALSE(c.debug);
  EXPECT_FALSE(c.xfs);
  EXPECT_FALSE(c.filter.enabled);
  ASSERT_EQ(c.filter.excludes.size(), 4u);
  EXPECT_EQ(c.filter.excludes[0].expression, "(.*)\\.svn");
  EXPECT_EQ(c.filter.excludes[0].line, lineOf(text, "(.*)\\.svn"));
  EXPECT_EQ(c.filter.excludes[3].expression, "^static/*");
  EXPECT_TRUE(c.inotify.del);
  EXPECT_TRUE(c.inotify.createFolder);
  EXPECT_FALSE(c.inotify.createFile);
  EXPECT_TRUE(c.inotify.closeWrite);
  EXPECT_TRUE(c.inotify.moveFrom);
  EXPECT_TRUE(c.inotify.moveTo);
  EXPECT_FALSE(c.inotify.attrib);
  EXPECT_FALSE(c.inotify.modify);
  ASSERT_EQ(c.localpaths.size(), 1u);
  EXPECT_EQ(c.localpaths[0].watch, tmp.str());
  ASSERT_EQ(c.localpaths[0].remotes.size(), 1u);  // the two commented-out remotes are not read
  EXPECT_EQ(c.localpaths[0].remotes[0].ip, "127.0.0.1");
  EXPECT_EQ(c.localpaths[0].remotes[0].name, "tongbu1");
  EXPECT_EQ(c.rsync.commonParams, "-artuz");
  EXPECT_FALSE(c.rsync.auth);
  EXPECT_EQ(c.rsync.users, "root");
  EXPECT_EQ(c.rsync.passwordFile, "/etc/rsync.pas");
  EXPECT_FALSE(c.rsync.port.has_value());
  EXPECT_FALSE(c.rsync.timeout.has_value());
  EXPECT_FALSE(c.rsync.ssh);
  EXPECT_EQ(c.failLog.path, "/tmp/rsync_fail_log.sh");
  EXPECT_EQ(c.failLog.minutes, 60);
  EXPECT_FALSE(c.crontab.enabled);
  EXPECT_EQ(c.crontab.minutes, 600);
  EXPECT_FALSE(c.crontab.filterEnabled);
  EXPECT_EQ(c.crontab.excludeGlobs, (std::vector<std::string>{"*.php", "info/*"}));
  EXPECT_FALSE(c.plugins.at(0).enabled);
  EXPECT_EQ(c.plugins.at(0).name, "command");
  ASSERT_EQ(c.pluginSections.size(), 3u);
  EXPECT_EQ(c.pluginSections[0].name, "plugin");
  EXPECT_EQ(c.pluginSections[0].attributes[0], (std::pair<std::string, std::string>{"name", "command"}));
  EXPECT_EQ(c.pluginSections[1].attributes[0].second, "socket");
  EXPECT_EQ(c.pluginSections[2].attributes[0].second, "refreshCDN");
  EXPECT_EQ(c.pluginSections[2].line, lineOf(text, "<plugin name=\"refreshCDN\">"));
  EXPECT_FALSE(c.tuning.tempPatternsSet);
}

TEST(Config, blog_sample_parses_with_auth_two_remotes_and_trimmed_faillog_path) {
  TempDir tmp;
  const fs::path watch = tmp.path() / "blog";
  fs::create_directory(watch);
  const fs::path password = tmp.path() / "rsync.password";
  writeFile(password, "secret\n", 0600);
  std::string text = readFile(fixture("blog-confxml.xml"));
  ASSERT_FALSE(text.empty());
  ASSERT_TRUE(contains(text, "path=\" /usr/local/sersync/logs/blog_rsync_fail_log.sh\""));  // the real-world quirk
  text = replaceAll(text, "watch=\"/data/blog\"", "watch=\"" + watch.string() + "\"");
  text = replaceAll(text, "passwordfile=\"/etc/rsync.password\"", "passwordfile=\"" + password.string() + "\"");
  text = replaceAll(text, "192.0.2.", "127.0.0.");
  const fs::path file = tmp.path() / "confxml.xml";
  writeFile(file, text);

  LoadResult r = loadConfig(file.string());
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  const Config& c = *r.config;
  ASSERT_EQ(c.localpaths.size(), 1u);
  EXPECT_EQ(c.localpaths[0].watch, watch.string());
  ASSERT_EQ(c.localpaths[0].remotes.size(), 2u);
  EXPECT_EQ(c.localpaths[0].remotes[0].ip, "127.0.0.144");
  EXPECT_EQ(c.localpaths[0].remotes[1].ip, "127.0.0.147");
  EXPECT_EQ(c.localpaths[0].remotes[1].name, "blog");
  EXPECT_EQ(c.localpaths[0].remotes[1].line, lineOf(text, "127.0.0.147"));
  EXPECT_EQ(c.rsync.commonParams, "-aruz");
  EXPECT_TRUE(c.rsync.auth);
  EXPECT_EQ(c.rsync.users, "rsync_backup");
  EXPECT_EQ(c.rsync.passwordFile, password.string());
  EXPECT_EQ(c.rsync.authLine, lineOf(text, "<auth "));
  EXPECT_FALSE(c.rsync.port.has_value());
  ASSERT_TRUE(c.rsync.timeout.has_value());
  EXPECT_EQ(*c.rsync.timeout, 100);
  EXPECT_EQ(c.failLog.path, "/usr/local/sersync/logs/blog_rsync_fail_log.sh");
  EXPECT_EQ(c.failLog.line, lineOf(text, "<failLog"));
  EXPECT_EQ(c.pluginSections.size(), 3u);
}

TEST(Config, shipped_example_is_valid_apart_from_its_watch_folder) {
  TempDir tmp;
  std::string text = readFile(sourceDir() / "conf" / "confxml.xml");
  ASSERT_FALSE(text.empty());
  text = replaceAll(text, "watch=\"/srv/www\"", "watch=\"" + tmp.str() + "\"");
  LoadResult r = loadConfigText(text, "confxml.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  EXPECT_EQ(r.config->localpaths.size(), 1u);
  EXPECT_TRUE(r.config->tuning.tempPatternsSet);
  EXPECT_EQ(r.config->tuning.tempPatterns, TuningConf{}.tempPatterns);  // the example lists the defaults
}

// ---- every element, read ----

TEST(Config, every_sersync_element_is_read) {
  TempDir tmp;
  const fs::path password = tmp.path() / "pw";
  writeFile(password, "pw\n", 0600);
  const std::string head =
      "  <host hostip=\"0.0.0.0\" port=\"9000\"></host>\n"
      "  <debug start=\"true\"/>\n"
      "  <fileSystem xfs=\"true\"/>\n"
      "  <filter start=\"true\">\n"
      "    <exclude expression=\"cache/\"/>\n"
      "    <exclude expression=\".*\\.tmp\"/>\n"
      "  </filter>\n"
      "  <inotify>\n"
      "    <delete start=\"false\"/>\n"
      "    <createFolder start=\"false\"/>\n"
      "    <createFile start=\"true\"/>\n"
      "    <closeWrite start=\"false\"/>\n"
      "    <moveFrom start=\"false\"/>\n"
      "    <moveTo start=\"false\"/>\n"
      "    <attrib start=\"true\"/>\n"
      "    <modify start=\"true\"/>\n"
      "  </inotify>\n";
  const std::string sersync =
      "    <rsync>\n"
      "      <commonParams params=\"-az --inplace\"/>\n"
      "      <auth start=\"true\" users=\"backup\" passwordfile=\"" +
      password.string() +
      "\"/>\n"
      "      <userDefinedPort start=\"true\" port=\"874\"/>\n"
      "      <timeout start=\"true\" time=\"30\"/>\n"
      "      <ssh start=\"true\"/>\n"
      "    </rsync>\n"
      "    <failLog path=\"/var/lib/fsrelay/fail\" timeToExecute=\"5\"/>\n"
      "    <crontab start=\"true\" schedule=\"15\">\n"
      "      <crontabfilter start=\"true\">\n"
      "        <exclude expression=\"*.log\"/>\n"
      "      </crontabfilter>\n"
      "    </crontab>\n"
      "    <plugin start=\"true\" name=\"socket\"/>\n";
  const std::string text = minimal(tmp.str(), sersync, head);
  LoadResult r = loadConfigText(text, "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.host.ip, "0.0.0.0");
  EXPECT_EQ(c.host.port, 9000);
  EXPECT_TRUE(c.debug);
  EXPECT_TRUE(c.xfs);
  EXPECT_TRUE(c.filter.enabled);
  ASSERT_EQ(c.filter.excludes.size(), 2u);
  EXPECT_EQ(c.filter.excludes[1].expression, ".*\\.tmp");
  EXPECT_EQ(c.filter.excludes[1].line, lineOf(text, ".*\\.tmp"));
  EXPECT_FALSE(c.inotify.del);
  EXPECT_FALSE(c.inotify.createFolder);
  EXPECT_TRUE(c.inotify.createFile);
  EXPECT_FALSE(c.inotify.closeWrite);
  EXPECT_FALSE(c.inotify.moveFrom);
  EXPECT_FALSE(c.inotify.moveTo);
  EXPECT_TRUE(c.inotify.attrib);
  EXPECT_TRUE(c.inotify.modify);
  EXPECT_EQ(c.localpaths[0].line, lineOf(text, "<localpath"));
  EXPECT_EQ(c.rsync.commonParams, "-az --inplace");
  EXPECT_TRUE(c.rsync.auth);
  EXPECT_EQ(c.rsync.users, "backup");
  EXPECT_EQ(c.rsync.port, 874);
  EXPECT_EQ(c.rsync.timeout, 30);
  EXPECT_TRUE(c.rsync.ssh);
  EXPECT_EQ(c.failLog.path, "/var/lib/fsrelay/fail");
  EXPECT_EQ(c.failLog.minutes, 5);
  EXPECT_TRUE(c.crontab.enabled);
  EXPECT_EQ(c.crontab.minutes, 15);
  EXPECT_TRUE(c.crontab.filterEnabled);
  EXPECT_EQ(c.crontab.excludeGlobs, std::vector<std::string>{"*.log"});
  EXPECT_TRUE(c.plugins.at(0).enabled);
  EXPECT_EQ(c.plugins.at(0).name, "socket");
  EXPECT_EQ(c.plugins.at(0).line, lineOf(text, "<plugin start"));
}

TEST(Config, defaults_mirror_the_sersync_sample_when_elements_are_absent) {
  TempDir tmp;
  LoadResult r = loadConfigText(minimal(tmp.str()), "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.host.port, 8008);
  EXPECT_TRUE(c.inotify.del);
  EXPECT_TRUE(c.inotify.closeWrite);
  EXPECT_FALSE(c.inotify.modify);
  EXPECT_EQ(c.rsync.commonParams, "-artuz");
  EXPECT_EQ(c.failLog.minutes, 60);
  EXPECT_EQ(c.crontab.minutes, 600);
  EXPECT_EQ(c.tuning.retryLimit, 8);
  EXPECT_EQ(c.tuning.logLevel, "info");
}

TEST(Config, booleans_are_case_insensitive) {
  TempDir tmp;
  LoadResult r = loadConfigText(minimal(tmp.str(), "",
                                        "  <debug start=\"TRUE\"/>\n  <fileSystem xfs=\" True \"/>\n"
                                        "  <inotify><delete start=\"FaLsE\"/></inotify>\n"),
                                "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.config->debug);
  EXPECT_TRUE(r.config->xfs);
  EXPECT_FALSE(r.config->inotify.del);
}

TEST(Config, boolean_other_than_true_or_false_is_error_with_line) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "", "  <debug start=\"yes\"/>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<debug"), {"start=\"yes\"", "<debug>", "\"true\""});
}

TEST(Config, multiple_localpaths_are_all_read) {
  TempDir a;
  TempDir b;
  const std::string text = minimal(a.str(), "    <localpath watch=\"" + b.str() +
                                                "/\">\n"
                                                "      <remote ip=\"127.0.0.1\" name=\"two\"/>\n"
                                                "      <remote ip=\"127.0.0.2\" name=\"three\"/>\n"
                                                "    </localpath>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  ASSERT_EQ(r.config->localpaths.size(), 2u);
  EXPECT_EQ(r.config->localpaths[0].watch, a.str());
  EXPECT_EQ(r.config->localpaths[1].watch, b.str());  // trailing "/" stripped
  EXPECT_EQ(r.config->localpaths[1].line, lineOf(text, b.str()));
  ASSERT_EQ(r.config->localpaths[1].remotes.size(), 2u);
  EXPECT_EQ(r.config->localpaths[1].remotes[1].name, "three");
}

TEST(Config, localpath_without_remotes_is_accepted) {
  // Plugin-only setups (sersync's -m) watch a folder with no rsync remote.
  TempDir tmp;
  const std::string text = "<head version=\"2.5\"><sersync><localpath watch=\"" + tmp.str() + "\"/></sersync></head>";
  LoadResult r = loadConfigText(text, "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.config->localpaths[0].remotes.empty());
}

TEST(Config, watch_path_is_normalised) {
  TempDir tmp;
  fs::create_directory(tmp.path() / "sub");
  LoadResult r = loadConfigText(minimal(tmp.str() + "//sub/./"), "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_EQ(r.config->localpaths[0].watch, tmp.str() + "/sub");

  LoadResult root = loadConfigText(minimal("/"), "c.xml");
  ASSERT_TRUE(root.config.has_value()) << dump(root);
  EXPECT_EQ(root.config->localpaths[0].watch, "/");
}

TEST(Config, relative_watch_path_is_taken_from_the_working_directory) {
  TempDir tmp;
  fs::create_directory(tmp.path() / "www");
  const fs::path before = fs::current_path();
  fs::current_path(tmp.path());
  LoadResult r = loadConfigText(minimal("www/"), "c.xml");
  fs::current_path(before);
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_EQ(r.config->localpaths[0].watch, (tmp.path() / "www").string());
}

TEST(Config, surrounding_whitespace_of_attribute_values_is_trimmed) {
  TempDir tmp;
  const std::string text =
      minimal(" " + tmp.str() + " ", "    <failLog path=\"\t/var/log/f \" timeToExecute=\" 7 \"/>\n",
              "  <host hostip=\" 10.0.0.1\" port=\"8010 \"/>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_EQ(r.config->localpaths[0].watch, tmp.str());
  EXPECT_EQ(r.config->failLog.path, "/var/log/f");
  EXPECT_EQ(r.config->failLog.minutes, 7);
  EXPECT_EQ(r.config->host.ip, "10.0.0.1");
  EXPECT_EQ(r.config->host.port, 8010);
}

TEST(Config, plugin_sections_are_kept_as_xml_trees) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "",
                                   "  <plugin name=\"socket\">\n"
                                   "    <localpath watch=\"/x\">\n"
                                   "      <deshost ip=\" 127.0.0.1\" port=\"8009\"/>\n"
                                   "    </localpath>\n"
                                   "    <note> some text </note>\n"
                                   "  </plugin>\n"
                                   "  <plugin name=\"http\"/>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);  // their keys belong to the plugins: no warnings here
  ASSERT_EQ(r.config->pluginSections.size(), 2u);
  const XmlNode& socket = r.config->pluginSections[0];
  EXPECT_EQ(socket.line, lineOf(text, "<plugin name=\"socket\">"));
  ASSERT_EQ(socket.children.size(), 2u);
  const XmlNode& deshost = socket.children[0].children.at(0);
  EXPECT_EQ(deshost.name, "deshost");
  EXPECT_EQ(deshost.line, lineOf(text, "<deshost"));
  EXPECT_EQ(deshost.attributes,
            (std::vector<std::pair<std::string, std::string>>{{"ip", "127.0.0.1"}, {"port", "8009"}}));
  EXPECT_EQ(socket.children[1].text, "some text");
  EXPECT_EQ(r.config->pluginSections[1].attributes[0].second, "http");
}

// ---- <fsrelay> ----

TEST(Config, missing_plugin_folder_is_error_with_line) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "", "  <fsrelay>\n    <plugins dir=\"/nonexistent/fsrelay\"/>\n  </fsrelay>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  EXPECT_FALSE(r.config.has_value());
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_NE(r.diagnostics[0].format().find("plugin folder /nonexistent/fsrelay does not exist"), std::string::npos)
      << dump(r);
  EXPECT_GT(r.diagnostics[0].line, 0);
}

TEST(Config, fsrelay_tuning_is_read) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "",
                                   "  <fsrelay>\n"
                                   "    <state dir=\"/var/lib/fsrelay\"/>\n"
                                   "    <plugins dir=\"" + tmp.str() + "/\"/>\n"
                                   "    <retry limit=\"3\" initialMs=\"100\" maxMs=\"400\"/>\n"
                                   "    <batching tempHoldMs=\"0\" writeHoldMs=\"500\" maxPaths=\"10\"/>\n"
                                   "    <tempFiles>\n"
                                   "      <pattern expression=\"~\\$.*\"/>\n"
                                   "    </tempFiles>\n"
                                   "    <shutdown timeoutSeconds=\"5\"/>\n"
                                   "    <rsync path=\"/opt/rsync/bin/rsync\" fastHandshake=\"false\" transferTimeoutMs=\"60000\"/>\n"
                                   "    <log level=\"DEBUG\"/>\n"
                                   "  </fsrelay>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  const TuningConf& t = r.config->tuning;
  EXPECT_EQ(t.stateDir, "/var/lib/fsrelay");
  EXPECT_EQ(t.pluginDir, tmp.str());
  EXPECT_EQ(t.retryLimit, 3);
  EXPECT_EQ(t.retryInitialMs, 100);
  EXPECT_EQ(t.retryMaxMs, 400);
  EXPECT_EQ(t.tempHoldMs, 0);
  EXPECT_EQ(t.writeHoldMs, 500);
  EXPECT_EQ(t.maxBatchPaths, 10);
  EXPECT_TRUE(t.tempPatternsSet);
  EXPECT_EQ(t.tempPatterns, std::vector<std::string>{"~\\$.*"});  // replaces the defaults
  EXPECT_EQ(t.shutdownSeconds, 5);
  EXPECT_EQ(t.rsyncPath, "/opt/rsync/bin/rsync");
  EXPECT_FALSE(t.fastHandshake);
  EXPECT_EQ(t.transferTimeoutMs, 60000);
  EXPECT_EQ(t.logLevel, "debug");
}

TEST(Config, fsrelay_attributes_are_optional) {
  TempDir tmp;
  LoadResult r =
      loadConfigText(minimal(tmp.str(), "", "  <fsrelay><retry limit=\"2\"/><batching/></fsrelay>\n"), "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  EXPECT_EQ(r.config->tuning.retryLimit, 2);
  EXPECT_EQ(r.config->tuning.retryMaxMs, 8000);
  EXPECT_EQ(r.config->tuning.tempHoldMs, 1000);
  EXPECT_FALSE(r.config->tuning.tempPatternsSet);
  EXPECT_TRUE(r.config->tuning.fastHandshake);
  EXPECT_TRUE(r.config->tuning.rsyncPath.empty());
}

TEST(Config, empty_temp_files_element_means_no_temp_patterns) {
  TempDir tmp;
  LoadResult r = loadConfigText(minimal(tmp.str(), "", "  <fsrelay><tempFiles/></fsrelay>\n"), "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.config->tuning.tempPatternsSet);
  EXPECT_TRUE(r.config->tuning.tempPatterns.empty());
}

TEST(Config, temp_pattern_that_does_not_compile_is_error_with_line) {
  TempDir tmp;
  const std::string text =
      minimal(tmp.str(), "",
              "  <fsrelay>\n    <tempFiles>\n      <pattern expression=\"*.swp\"/>\n    </tempFiles>\n  </fsrelay>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<pattern"), {"*.swp", "ECMAScript"});
}

TEST(Config, log_level_outside_the_four_is_error_with_line) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "", "  <fsrelay>\n    <log level=\"verbose\"/>\n  </fsrelay>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<log"), {"verbose", "error, warn, info, debug"});
}

TEST(Config, retry_max_below_initial_is_error_with_line) {
  TempDir tmp;
  const std::string text =
      minimal(tmp.str(), "", "  <fsrelay>\n    <retry initialMs=\"500\" maxMs=\"100\"/>\n  </fsrelay>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<retry"), {"maxMs", "initialMs"});
}

TEST(Config, fsrelay_number_out_of_range_is_error_with_line) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "", "  <fsrelay>\n    <batching maxPaths=\"0\"/>\n  </fsrelay>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<batching"), {"maxPaths=\"0\"", "out of range"});
}

TEST(Config, watcher_backend_is_read_and_defaults_to_auto) {
  TempDir tmp;
  LoadResult r = loadConfigText(minimal(tmp.str()), "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_EQ(r.config->tuning.watcher, WatcherBackend::Auto);
  r = loadConfigText(minimal(tmp.str(), "", "  <fsrelay><watcher backend=\" fanotify \"/></fsrelay>\n"), "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_EQ(r.config->tuning.watcher, WatcherBackend::Fanotify);
  EXPECT_GT(r.config->tuning.watcherLine, 0);
}

TEST(Config, unknown_watcher_backend_is_error_with_line) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "", "  <fsrelay>\n    <watcher backend=\"kqueue\"/>\n  </fsrelay>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<watcher"), {"kqueue", "auto, inotify or fanotify"});
}

// ---- numbers ----

TEST(Config, port_not_a_number_is_error_with_line) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "", "  <host hostip=\"localhost\" port=\"80a\"/>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<host"), {"port=\"80a\"", "<host>", "not a number"});
}

TEST(Config, port_out_of_range_is_error_with_line) {
  TempDir tmp;
  for (const char* bad : {"0", "65536", "-1", "99999999999999999999"}) {
    const std::string text =
        minimal(tmp.str(), "", std::string("  <host hostip=\"localhost\" port=\"") + bad + "\"/>\n");
    expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<host"), {"out of range", "1 to 65535"});
  }
}

TEST(Config, user_defined_port_is_checked_even_when_off) {
  TempDir tmp;
  const std::string text =
      minimal(tmp.str(), "    <rsync>\n      <userDefinedPort start=\"false\" port=\"http\"/>\n    </rsync>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<userDefinedPort"), {"port=\"http\"", "not a number"});
}

TEST(Config, user_defined_port_on_without_port_is_error) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "    <rsync>\n      <userDefinedPort start=\"true\"/>\n    </rsync>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<userDefinedPort"), {"no port"});
}

TEST(Config, timeout_not_a_number_is_error_with_line) {
  TempDir tmp;
  const std::string text =
      minimal(tmp.str(), "    <rsync>\n      <timeout start=\"true\" time=\"1m\"/>\n    </rsync>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<timeout"), {"time=\"1m\"", "not a number"});
}

TEST(Config, time_to_execute_must_be_a_positive_integer) {
  TempDir tmp;
  for (const char* bad : {"0", "-5", "soon", ""}) {
    const std::string text =
        minimal(tmp.str(), std::string("    <failLog path=\"/tmp/f\" timeToExecute=\"") + bad + "\"/>\n");
    expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<failLog"), {"timeToExecute", "<failLog>"});
  }
}

TEST(Config, crontab_schedule_must_be_a_positive_integer) {
  TempDir tmp;
  for (const char* bad : {"0", "1.5", "daily"}) {
    const std::string text =
        minimal(tmp.str(), std::string("    <crontab start=\"true\" schedule=\"") + bad + "\"/>\n");
    expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<crontab"), {"schedule", "<crontab>"});
  }
}

// ---- regexes ----

TEST(Config, filter_exclude_that_does_not_compile_is_error_with_expression) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "",
                                   "  <filter start=\"true\">\n"
                                   "    <exclude expression=\"ok/\"/>\n"
                                   "    <exclude expression=\"(unclosed\"/>\n"
                                   "  </filter>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  expectOneError(r, lineOf(text, "(unclosed"), {"\"(unclosed\"", "ECMAScript"});
  // The std::regex reason follows the expression.
  EXPECT_GT(errors(r)[0].message.size(), std::string("\"(unclosed\" is not a valid ECMAScript regex: ").size() + 10);
}

TEST(Config, bad_exclude_in_switched_off_filter_is_warning) {
  TempDir tmp;
  const std::string text =
      minimal(tmp.str(), "", "  <filter start=\"false\">\n    <exclude expression=\"[\"/>\n  </filter>\n");
  expectWarning(loadConfigText(text, "c.xml"), lineOf(text, "<exclude"), {"\"[\"", "start=\"false\""});
}

TEST(Config, crontab_excludes_are_globs_not_regexes) {
  TempDir tmp;
  const std::string text =
      minimal(tmp.str(),
              "    <crontab start=\"true\" schedule=\"60\">\n"
              "      <crontabfilter start=\"true\"><exclude expression=\"*.php\"/></crontabfilter>\n"
              "    </crontab>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_EQ(r.config->crontab.excludeGlobs, std::vector<std::string>{"*.php"});
}

// ---- watch folders and remotes ----

TEST(Config, watch_folder_that_does_not_exist_is_error_with_line) {
  TempDir tmp;
  const std::string missing = tmp.str() + "/nope";
  const std::string text = minimal(missing);
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<localpath"), {missing, "does not exist"});
}

TEST(Config, watch_folder_that_is_a_file_is_error_with_line) {
  TempDir tmp;
  const fs::path file = tmp.path() / "file";
  writeFile(file, "x");
  const std::string text = minimal(file.string());
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<localpath"), {file.string(), "not a directory"});
}

TEST(Config, localpath_without_watch_is_error_with_line) {
  TempDir tmp;
  const std::string text =
      minimal(tmp.str(), "    <localpath>\n      <remote ip=\"127.0.0.1\" name=\"m\"/>\n    </localpath>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<localpath>"), {"<localpath>", "watch"});
}

TEST(Config, remote_missing_ip_is_error_with_line) {
  TempDir tmp;
  const std::string text =
      minimal(tmp.str(), "    <localpath watch=\"" + tmp.str() + "\">\n      <remote name=\"m\"/>\n    </localpath>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<remote name"), {"<remote>", "ip"});
}

TEST(Config, remote_missing_name_is_error_with_line) {
  TempDir tmp;
  const std::string text =
      minimal(tmp.str(), "    <localpath watch=\"" + tmp.str() +
                             "\">\n      <remote ip=\"127.0.0.1\" name=\" \"/>\n    </localpath>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "name=\" \""), {"<remote>", "name"});
}

TEST(Config, no_localpath_is_error) {
  const std::string text = "<head version=\"2.5\">\n  <debug start=\"false\"/>\n  <sersync>\n  </sersync>\n</head>\n";
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<sersync>"), {"<localpath"});
  const std::string noSersync = "<head version=\"2.5\">\n  <debug start=\"false\"/>\n</head>\n";
  expectOneError(loadConfigText(noSersync, "c.xml"), 1, {"<localpath"});
}

// ---- the password file ----

class ConfigPasswordFile : public ::testing::Test {
 protected:
  LoadResult loadWithMode(mode_t mode) {
    writeFile(password_, "secret\n", mode);
    text_ = minimal(tmp_.str(), "    <rsync>\n      <auth start=\"true\" users=\"u\" passwordfile=\"" +
                                    password_.string() + "\"/>\n    </rsync>\n");
    return loadConfigText(text_, "c.xml");
  }
  TempDir tmp_;
  fs::path password_ = tmp_.path() / "rsync.password";
  std::string text_;
};

TEST_F(ConfigPasswordFile, mode_0600_is_accepted) {
  LoadResult r = loadWithMode(0600);
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  EXPECT_EQ(r.config->rsync.passwordFile, password_.string());
}

TEST_F(ConfigPasswordFile, group_readable_is_error_with_mode_and_chmod) {
  LoadResult r = loadWithMode(0640);
  expectOneError(r, lineOf(text_, "<auth"), {password_.string(), "0640", "chmod 600 " + password_.string()});
}

TEST_F(ConfigPasswordFile, others_readable_is_error_with_mode_and_chmod) {
  LoadResult r = loadWithMode(0644);
  expectOneError(r, lineOf(text_, "<auth"), {"0644", "chmod 600"});
}

TEST_F(ConfigPasswordFile, missing_is_error_with_line) {
  text_ = minimal(tmp_.str(), "    <rsync>\n      <auth start=\"true\" users=\"u\" passwordfile=\"" +
                                  password_.string() + "\"/>\n    </rsync>\n");
  expectOneError(loadConfigText(text_, "c.xml"), lineOf(text_, "<auth"), {password_.string(), "does not exist"});
}

TEST_F(ConfigPasswordFile, not_checked_while_auth_is_off) {
  text_ = minimal(
      tmp_.str(),
      "    <rsync>\n      <auth start=\"false\" users=\"u\" passwordfile=\"/nonexistent/pw\"/>\n    </rsync>\n");
  LoadResult r = loadConfigText(text_, "c.xml");
  ASSERT_TRUE(r.config.has_value()) << dump(r);
  EXPECT_FALSE(r.config->rsync.auth);
}

TEST_F(ConfigPasswordFile, auth_on_without_passwordfile_is_error) {
  text_ = minimal(tmp_.str(), "    <rsync>\n      <auth start=\"true\" users=\"u\"/>\n    </rsync>\n");
  expectOneError(loadConfigText(text_, "c.xml"), lineOf(text_, "<auth"), {"passwordfile"});
}

TEST_F(ConfigPasswordFile, as_root_it_must_be_owned_by_root) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  writeFile(password_, "secret\n", 0600);
  ASSERT_EQ(::chown(password_.c_str(), 65534, 65534), 0);
  text_ = minimal(tmp_.str(), "    <rsync>\n      <auth start=\"true\" users=\"u\" passwordfile=\"" +
                                  password_.string() + "\"/>\n    </rsync>\n");
  expectOneError(loadConfigText(text_, "c.xml"), lineOf(text_, "<auth"), {"owned by root"});
}

// ---- the file as a whole ----

TEST(Config, malformed_xml_is_error_with_parser_line) {
  LoadResult r = loadConfig(fixture("broken-unclosed.xml").string());
  expectOneError(r, 8, {"malformed XML"});  // TinyXML-2 names the unclosed <inotify>
  EXPECT_EQ(errors(r)[0].file, fixture("broken-unclosed.xml").string());
}

TEST(Config, missing_file_is_error_at_line_0) {
  TempDir tmp;
  const std::string path = tmp.str() + "/absent.xml";
  LoadResult r = loadConfig(path);
  expectOneError(r, 0, {"cannot open"});
  EXPECT_EQ(errors(r)[0].format().rfind(path + ": error: ", 0), 0u) << errors(r)[0].format();
}

TEST(Config, directory_as_config_file_is_error_at_line_0) {
  TempDir tmp;
  expectOneError(loadConfig(tmp.str()), 0, {"directory"});
}

TEST(Config, wrong_root_element_is_error_with_line) {
  const std::string text = "<?xml version=\"1.0\"?>\n<config>\n</config>\n";
  expectOneError(loadConfigText(text, "c.xml"), 2, {"<config>", "<head"});
}

TEST(Config, garbage_and_empty_input_are_errors_not_exceptions) {
  for (const std::string& text : {std::string(""), std::string("\x00\xff<<", 4), std::string("not xml at all"),
                                  std::string("<head version=\"2.5\"><sersync><localpath watch=\"&bogus;\"/>")}) {
    LoadResult r;
    EXPECT_NO_THROW(r = loadConfigText(text, "c.xml"));
    EXPECT_FALSE(r.config.has_value());
    EXPECT_FALSE(errors(r).empty());
  }
}

TEST(Config, all_errors_are_collected) {
  TempDir tmp;
  const std::string text = minimal(tmp.str() + "/missing", "    <failLog path=\"/tmp/f\" timeToExecute=\"0\"/>\n",
                                   "  <host hostip=\"localhost\" port=\"x\"/>\n"
                                   "  <debug start=\"maybe\"/>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  EXPECT_FALSE(r.config.has_value());
  std::vector<Diagnostic> e = errors(r);
  ASSERT_EQ(e.size(), 4u) << dump(r);
  EXPECT_EQ(e[0].line, lineOf(text, "<host"));
  EXPECT_EQ(e[1].line, lineOf(text, "<debug"));
  EXPECT_EQ(e[2].line, lineOf(text, "<localpath"));
  EXPECT_EQ(e[3].line, lineOf(text, "<failLog"));
}

// ---- warnings ----

TEST(Config, unknown_element_is_warning_with_line_and_expected_names) {
  TempDir tmp;
  const std::string text =
      minimal(tmp.str(), "    <rsyn/>\n", "  <inotify>\n    <closewrite start=\"true\"/>\n  </inotify>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  expectWarning(r, lineOf(text, "<closewrite"), {"<closewrite>", "<inotify>", "closeWrite"});
  expectWarning(r, lineOf(text, "<rsyn/>"), {"<rsyn>", "<sersync>", "rsync"});
  EXPECT_EQ(warnings(r).size(), 2u) << dump(r);
}

TEST(Config, unknown_attribute_is_warning_with_line) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "    <failLog path=\"/tmp/f\" timeToExcute=\"5\"/>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  // The typo leaves the default in force; the warning names what was expected.
  expectWarning(r, lineOf(text, "<failLog"), {"\"timeToExcute\"", "<failLog>", "timeToExecute"});
  EXPECT_EQ(r.config->failLog.minutes, 60);
}

TEST(Config, child_of_a_leaf_element_is_warning) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "", "  <debug start=\"true\">\n    <level/>\n  </debug>\n");
  expectWarning(loadConfigText(text, "c.xml"), lineOf(text, "<level"), {"<level>", "<debug>"});
}

TEST(Config, duplicate_single_element_is_warning_and_first_applies) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "", "  <debug start=\"true\"/>\n  <debug start=\"false\"/>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  expectWarning(r, lineOf(text, "<debug start=\"false\""),
                {"duplicate", "<debug>", std::to_string(lineOf(text, "<debug"))});
  EXPECT_TRUE(r.config->debug);
}

TEST(Config, missing_start_attribute_is_warning_and_default_applies) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "", "  <inotify>\n    <modify/>\n  </inotify>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  expectWarning(r, lineOf(text, "<modify"), {"<modify>", "start", "false"});
  EXPECT_FALSE(r.config->inotify.modify);
}

TEST(Config, missing_attribute_with_a_default_is_warning_but_blank_is_error) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "    <failLog timeToExecute=\"5\"/>\n", "  <host port=\"8010\"/>\n");
  LoadResult r = loadConfigText(text, "c.xml");
  expectWarning(r, lineOf(text, "<failLog"), {"<failLog>", "path", "/tmp/rsync_fail_log.sh"});
  expectWarning(r, lineOf(text, "<host"), {"<host>", "hostip", "127.0.0.1"});
  EXPECT_EQ(r.config->failLog.path, "/tmp/rsync_fail_log.sh");

  const std::string blank = minimal(tmp.str(), "    <failLog path=\" \" timeToExecute=\"5\"/>\n");
  expectOneError(loadConfigText(blank, "c.xml"), lineOf(blank, "<failLog"), {"<failLog>", "empty path"});
}

TEST(Config, other_head_version_is_warning) {
  TempDir tmp;
  std::string text = replaceAll(minimal(tmp.str()), "version=\"2.5\"", "version=\"2.6\"");
  expectWarning(loadConfigText(text, "c.xml"), lineOf(text, "<head"), {"2.6"});
}

TEST(Config, sersync_plugin_on_without_name_is_error) {
  TempDir tmp;
  const std::string text = minimal(tmp.str(), "    <plugin start=\"true\"/>\n");
  expectOneError(loadConfigText(text, "c.xml"), lineOf(text, "<plugin start"), {"<plugin>", "name"});
}

}  // namespace
}  // namespace fsrelay
