// The configuration model: everything read from a sersync-style confxml.xml plus fsrelay's own settings.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fsrelay {

// A generic copy of an XML element, kept for sections whose meaning belongs to a plugin.
struct XmlNode {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<XmlNode> children;
  std::string text;
  int line = 0;
};

struct HostConf {
  std::string ip = "127.0.0.1";
  int port = 8008;
};

struct ExcludeRule {
  std::string expression;  // ECMAScript regex, full match against the path relative to the root
  int line = 0;
};

struct FilterConf {
  bool enabled = false;
  std::vector<ExcludeRule> excludes;
};

// sersync's <inotify> toggles; defaults are those of sersync 2.5's sample file.
struct InotifyToggles {
  bool del = true;
  bool createFolder = true;
  bool createFile = false;
  bool closeWrite = true;
  bool moveFrom = true;
  bool moveTo = true;
  bool attrib = false;
  bool modify = false;
};

struct RemoteConf {
  std::string ip;
  std::string name;  // rsync module, or the remote path with ssh
  int line = 0;
};

struct LocalPathConf {
  std::string watch;  // absolute, no trailing "/" (except "/" itself)
  std::vector<RemoteConf> remotes;
  int line = 0;
};

struct RsyncConf {
  std::string commonParams = "-artuz";  // as written; the rsync plugin splits it into argv words
  bool auth = false;
  std::string users;
  std::string passwordFile;
  int authLine = 0;
  std::optional<int> port;     // <userDefinedPort start="true">
  std::optional<int> timeout;  // <timeout start="true">, seconds
  bool ssh = false;
};

struct FailLogConf {
  std::string path = "/tmp/rsync_fail_log.sh";  // sersync's default; fsrelay writes data, not a script
  int minutes = 60;                             // timeToExecute
  int line = 0;
};

struct CrontabConf {
  bool enabled = false;
  int minutes = 600;  // schedule
  bool filterEnabled = false;
  std::vector<std::string> excludeGlobs;  // <crontabfilter><exclude expression>: rsync globs
};

struct PluginRef {  // <sersync><plugin start name>
  bool enabled = false;
  std::string name;
  int line = 0;
};

// <fsrelay><watcher backend>: how changes are seen (docs/watchers.md).
enum class WatcherBackend { Auto, Inotify, Fanotify };

// fsrelay's own settings: the optional <fsrelay> element under <head>.
struct TuningConf {
  std::string stateDir;  // empty: default (see docs/config.md)
  std::string pluginDir; // empty: <prefix>/lib/fsrelay/plugins next to the binary
  int retryLimit = 8;           // transfer attempts for one change before it goes to the fail log
  int retryInitialMs = 250;
  int retryMaxMs = 8000;
  int tempHoldMs = 1000;        // editor temp files wait this long; a create+delete inside it is no transfer
  int writeHoldMs = 2000;       // a file still open for writing is sent at the latest this long after its first write
  int maxBatchPaths = 100000;   // paths per rsync invocation
  int shutdownSeconds = 30;     // SIGTERM: time allowed to flush pending work
  // <watchLimit>: when fs.inotify.max_user_watches runs out, stop (false) or carry on and scan the
  // directories that could not be watched every watchLimitScanSeconds (true).
  bool watchLimitScan = false;
  int watchLimitScanSeconds = 60;
  std::string logLevel = "info";
  std::string logFormat = "text";  // <log format>: "text" or "json" (JSON lines); --log-format overrides it
  // <fsrelay><rsync>: the rsync plugin's own settings that sersync's <rsync> has no place for.
  std::string rsyncPath;           // empty: "rsync" from PATH
  bool fastHandshake = true;       // protocol 29 for change batches that delete nothing (docs/rsync.md)
  int transferTimeoutMs = 0;       // kill an rsync run after this long; 0 = never
  // Editor temp files: regexes, full match on the file's name (vim swap files and its 4913 probe,
  // backup files ending in "~", emacs lock files).
  std::vector<std::string> tempPatterns = {R"(.*\.sw[a-px])", R"(.*~)", R"(4913)", R"(\.#.*)"};
  bool tempPatternsSet = false;
  WatcherBackend watcher = WatcherBackend::Auto;
  int watcherLine = 0;  // of <watcher>, for errors about the backend it forces
};

struct Config {
  std::string file;  // the config's path as given
  HostConf host;
  bool debug = false;
  bool xfs = false;
  FilterConf filter;
  InotifyToggles inotify;
  std::vector<LocalPathConf> localpaths;
  RsyncConf rsync;
  FailLogConf failLog;
  CrontabConf crontab;
  std::vector<PluginRef> plugins;       // <sersync><plugin start name>, in order (sersync had one)
  std::vector<XmlNode> pluginSections;  // <plugin name="..."> under <head>: read by the plugin host
  TuningConf tuning;
};

struct Diagnostic {
  enum class Severity { Warning, Error };
  Severity severity = Severity::Error;
  std::string file;
  int line = 0;  // 0: the file as a whole
  std::string message;

  std::string format() const;  // "FILE:LINE: error: MESSAGE"
};

struct LoadResult {
  std::optional<Config> config;  // empty when any Error diagnostic was produced
  std::vector<Diagnostic> diagnostics;
};

// Reads and validates a config file. Never throws for bad input; every problem is a Diagnostic.
LoadResult loadConfig(const std::string& path);
// The same from text already in memory; `path` names it in diagnostics. Relative paths in the file
// (watch, password file, fail log, state and plugin dirs) are made absolute from the current working
// directory, as sersync did.
LoadResult loadConfigText(const std::string& text, const std::string& path);

}  // namespace fsrelay
