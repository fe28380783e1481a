// ConfigWriter: the sersync 2.5 sample's layout with the tests' values filled in.
#include "tests/support/config_writer.hpp"

#include <fstream>
#include <stdexcept>

#include "tests/support/rsync_daemon.hpp"

namespace fsrelay::test {

namespace fs = std::filesystem;

std::string xmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

ConfigWriter ConfigWriter::forDaemon(const RsyncDaemon& daemon, const fs::path& watch) {
  ConfigWriter w;
  w.localpath(watch, daemon.modules()).auth(daemon.user(), daemon.passwordFile()).port(daemon.port());
  return w;
}

ConfigWriter& ConfigWriter::localpath(const fs::path& watch, std::vector<std::string> modules, std::string ip) {
  LocalPath lp{watch.string(), {}};
  for (std::string& m : modules) lp.remotes.push_back({ip, std::move(m)});
  localpaths_.push_back(std::move(lp));
  return *this;
}

ConfigWriter& ConfigWriter::auth(std::string users, const fs::path& passwordFile) {
  auth_ = true;
  users_ = std::move(users);
  passwordFile_ = passwordFile.string();
  return *this;
}

ConfigWriter& ConfigWriter::portText(std::string port) {
  port_ = std::move(port);
  return *this;
}

ConfigWriter& ConfigWriter::timeout(int seconds) {
  timeout_ = seconds;
  return *this;
}

ConfigWriter& ConfigWriter::commonParams(std::string params) {
  commonParams_ = std::move(params);
  return *this;
}

ConfigWriter& ConfigWriter::inotify(std::string_view toggle, bool on) {
  for (auto& [name, value] : toggles_) {
    if (name == toggle) {
      value = on;
      return *this;
    }
  }
  throw std::invalid_argument("ConfigWriter: no inotify toggle " + std::string(toggle));
}

ConfigWriter& ConfigWriter::exclude(std::string expression) {
  excludes_.push_back(std::move(expression));
  return *this;
}

ConfigWriter& ConfigWriter::failLog(const fs::path& path, int minutes) {
  failLog_ = path.string();
  failLogMinutes_ = minutes;
  return *this;
}

ConfigWriter& ConfigWriter::debug(bool on) {
  debug_ = on;
  return *this;
}

ConfigWriter& ConfigWriter::stateDir(const fs::path& dir) {
  stateDir_ = dir.string();
  return *this;
}

ConfigWriter& ConfigWriter::pluginDir(const fs::path& dir) {
  pluginDir_ = dir.string();
  return *this;
}

ConfigWriter& ConfigWriter::retry(int limit, int initialMs, int maxMs) {
  retry_ = std::vector<int>{limit, initialMs, maxMs};
  return *this;
}

ConfigWriter& ConfigWriter::watchLimit(std::string attributes) {
  watchLimit_ = std::move(attributes);
  return *this;
}

ConfigWriter& ConfigWriter::logLevel(std::string level) {
  logLevel_ = std::move(level);
  return *this;
}

ConfigWriter& ConfigWriter::watcher(std::string backend) {
  watcher_ = std::move(backend);
  return *this;
}

ConfigWriter& ConfigWriter::enablePlugin(std::string name) {
  enabledPlugins_.push_back(std::move(name));
  return *this;
}

ConfigWriter& ConfigWriter::pluginSection(std::string xml) {
  pluginSections_.push_back(std::move(xml));
  return *this;
}

ConfigWriter& ConfigWriter::host(std::string ip, int port) {
  hostIp_ = std::move(ip);
  hostPort_ = port;
  return *this;
}

std::string ConfigWriter::text() const {
  auto q = [](std::string_view v) { return "\"" + xmlEscape(v) + "\""; };
  auto onOff = [](bool b) { return b ? std::string("\"true\"") : std::string("\"false\""); };
  std::string x;
  x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<head version=\"2.5\">\n";
  x += "    <host hostip=" + q(hostIp_) + " port=" + q(std::to_string(hostPort_)) + "></host>\n";
  x += "    <debug start=" + onOff(debug_) + "/>\n";
  x += "    <fileSystem xfs=\"false\"/>\n";
  x += "    <filter start=" + onOff(!excludes_.empty()) + ">\n";
  for (const std::string& e : excludes_) x += "\t<exclude expression=" + q(e) + "></exclude>\n";
  x += "    </filter>\n";
  x += "    <inotify>\n";
  for (const auto& [name, on] : toggles_) x += "\t<" + name + " start=" + onOff(on) + "/>\n";
  x += "    </inotify>\n\n";
  x += "    <sersync>\n";
  for (const LocalPath& lp : localpaths_) {
    x += "\t<localpath watch=" + q(lp.watch) + ">\n";
    for (const Remote& r : lp.remotes) x += "\t    <remote ip=" + q(r.ip) + " name=" + q(r.name) + "/>\n";
    x += "\t</localpath>\n";
  }
  x += "\t<rsync>\n";
  x += "\t    <commonParams params=" + q(commonParams_) + "/>\n";
  x += "\t    <auth start=" + onOff(auth_) + " users=" + q(users_) + " passwordfile=" + q(passwordFile_) + "/>\n";
  x += "\t    <userDefinedPort start=" + onOff(port_.has_value()) + " port=" + q(port_.value_or("874")) + "/>\n";
  x += "\t    <timeout start=" + onOff(timeout_.has_value()) + " time=" +
       q(std::to_string(timeout_.value_or(100))) + "/>\n";
  x += "\t    <ssh start=\"false\"/>\n";
  x += "\t</rsync>\n";
  x += "\t<failLog path=" + q(failLog_) + " timeToExecute=" + q(std::to_string(failLogMinutes_)) + "/>\n";
  x += "\t<crontab start=\"false\" schedule=\"600\">\n";
  x += "\t    <crontabfilter start=\"false\">\n";
  x += "\t    </crontabfilter>\n";
  x += "\t</crontab>\n";
  if (enabledPlugins_.empty()) x += "\t<plugin start=\"false\" name=\"command\"/>\n";
  for (const std::string& p : enabledPlugins_) x += "\t<plugin start=\"true\" name=" + q(p) + "/>\n";
  x += "    </sersync>\n";
  for (const std::string& p : pluginSections_) x += "\n    " + p + "\n";
  if (stateDir_ || pluginDir_ || retry_ || logLevel_ || watchLimit_ || watcher_) {
    x += "\n    <fsrelay>\n";
    if (stateDir_) x += "\t<state dir=" + q(*stateDir_) + "/>\n";
    if (pluginDir_) x += "\t<plugins dir=" + q(*pluginDir_) + "/>\n";
    if (retry_)
      x += "\t<retry limit=" + q(std::to_string((*retry_)[0])) + " initialMs=" + q(std::to_string((*retry_)[1])) +
           " maxMs=" + q(std::to_string((*retry_)[2])) + "/>\n";
    if (logLevel_) x += "\t<log level=" + q(*logLevel_) + "/>\n";
    if (watcher_) x += "\t<watcher backend=" + q(*watcher_) + "/>\n";
    if (watchLimit_) x += "\t<watchLimit " + *watchLimit_ + "/>\n";
    x += "    </fsrelay>\n";
  }
  x += "</head>\n";
  return x;
}

void ConfigWriter::write(const fs::path& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

int ConfigWriter::lineOf(std::string_view needle) const {
  std::string t = text();
  std::size_t pos = t.find(needle);
  if (pos == std::string::npos) return 0;
  int line = 1;
  for (std::size_t i = 0; i < pos; ++i) line += t[i] == '\n';
  return line;
}

}  // namespace fsrelay::test
