// Command-line parsing: sersync's flags (groupable, as in -dro FILE) plus fsrelay's long options.
#pragma once

#include <string>
#include <vector>

namespace fsrelay {

enum class Command { Run, Status };

struct CliOptions {
  Command command = Command::Run;            // `fsrelay status ...` asks a running daemon (docs/service.md)
  std::string configPath = "./confxml.xml";  // -o
  bool fullSync = false;                     // -r
  bool daemonize = false;                    // -d
  int threads = 10;                          // -n: transfers running at once, across all targets
  std::vector<std::string> pluginOnly;       // -m NAME[,NAME]
  bool help = false;
  bool version = false;
  bool check = false;
  bool listPlugins = false;
  std::vector<std::string> pluginDirs;       // --plugin-dir, repeatable
  std::string pidFile;
  std::string logFile;
  std::string logLevel;                      // overrides the config's
  std::string logFormat;                     // "text" or "json" (JSON lines); overrides the config's
  bool json = false;                         // status: print the daemon's JSON document as it is
  std::string stateDir;                      // resolved by main (config or default), not a flag
};

struct CliParse {
  bool ok = false;
  std::string error;
  CliOptions options;
};

CliParse parseCommandLine(int argc, char* const argv[]);
std::string usageText();

}  // namespace fsrelay
