// Command-line parsing: sersync's flags (groupable, as in -dro FILE) plus fsrelay's long options.
#pragma once

#include <string>
#include <vector>

namespace fsrelay {

struct CliOptions {
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
