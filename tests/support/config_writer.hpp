// Writes sersync-style confxml.xml files (plus fsrelay's optional <fsrelay> element) for the tests.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fsrelay::test {

class RsyncDaemon;

class ConfigWriter {
 public:
  ConfigWriter() = default;
  // A config pushing watch to every module of daemon on 127.0.0.1, with its auth and port.
  static ConfigWriter forDaemon(const RsyncDaemon& daemon, const std::filesystem::path& watch);

  ConfigWriter& localpath(const std::filesystem::path& watch, std::vector<std::string> modules,
                          std::string ip = "127.0.0.1");
  ConfigWriter& auth(std::string users, const std::filesystem::path& passwordFile);
  ConfigWriter& port(int port) { return portText(std::to_string(port)); }
  ConfigWriter& portText(std::string port);  // as written in the file, to test bad values
  ConfigWriter& timeout(int seconds);
  ConfigWriter& commonParams(std::string params);
  // One of delete createFolder createFile closeWrite moveFrom moveTo attrib modify.
  ConfigWriter& inotify(std::string_view toggle, bool on);
  ConfigWriter& exclude(std::string expression);  // turns <filter start="true"> on
  ConfigWriter& failLog(const std::filesystem::path& path, int minutes = 60);
  ConfigWriter& debug(bool on);
  // fsrelay's own settings (<fsrelay> under <head>); written only when one is set.
  ConfigWriter& stateDir(const std::filesystem::path& dir);
  ConfigWriter& pluginDir(const std::filesystem::path& dir);
  ConfigWriter& retry(int limit, int initialMs, int maxMs);
  ConfigWriter& logLevel(std::string level);
  ConfigWriter& watcher(std::string backend);  // <watcher backend>, as written
  // <fsrelay><watchLimit action=... scanSeconds=...>: raw attribute text, e.g. R"(action="scan" scanSeconds="1")".
  ConfigWriter& watchLimit(std::string attributes);
  // <sersync><plugin start="true" name="NAME"/>: run that plugin's section alongside rsync (repeatable).
  ConfigWriter& enablePlugin(std::string name);
  // A plugin section written verbatim under <head>, e.g. "<plugin name=\"socket\">...</plugin>".
  ConfigWriter& pluginSection(std::string xml);
  // <head><host hostip port>: the http plugin's endpoint address.
  ConfigWriter& host(std::string ip, int port);

  std::string text() const;
  void write(const std::filesystem::path& path) const;
  // The 1-based line of text() holding needle first, or 0: for "FILE:LINE: error" assertions.
  int lineOf(std::string_view needle) const;

 private:
  struct Remote {
    std::string ip;
    std::string name;
  };
  struct LocalPath {
    std::string watch;
    std::vector<Remote> remotes;
  };
  std::vector<LocalPath> localpaths_;
  std::vector<std::pair<std::string, bool>> toggles_ = {
      {"delete", true},      {"createFolder", true}, {"createFile", false}, {"closeWrite", true},
      {"moveFrom", true},    {"moveTo", true},       {"attrib", false},     {"modify", false}};
  bool auth_ = false;
  std::string users_ = "root";
  std::string passwordFile_ = "/etc/rsync.pas";
  std::optional<std::string> port_;
  std::optional<int> timeout_;
  std::string commonParams_ = "-artuz";
  std::vector<std::string> excludes_;
  std::string failLog_ = "/tmp/rsync_fail_log.sh";
  int failLogMinutes_ = 60;
  bool debug_ = false;
  std::optional<std::string> stateDir_;
  std::optional<std::string> pluginDir_;
  std::optional<std::vector<int>> retry_;
  std::optional<std::string> logLevel_;
  std::optional<std::string> watcher_;
  std::optional<std::string> watchLimit_;
  std::vector<std::string> enabledPlugins_;
  std::vector<std::string> pluginSections_;
  std::string hostIp_ = "localhost";
  int hostPort_ = 8008;
};

// The text made safe for a double-quoted XML attribute value.
std::string xmlEscape(std::string_view text);

}  // namespace fsrelay::test
