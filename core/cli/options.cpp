// getopt_long-based parsing; grouping of short flags comes with getopt.
#include "core/cli/options.hpp"

#include <getopt.h>

#include <cstdlib>
#include <sstream>
#include <string_view>

namespace fsrelay {

std::string usageText() {
  return R"(Usage: fsrelay [-d] [-r] [-n N] [-o FILE] [-m NAME[,NAME]] [options]
   or: fsrelay status [-o FILE] [--json]

Watches the <localpath> folders of a sersync-style confxml.xml and pushes every change to every
<remote> with rsync, in batches, within milliseconds.

sersync flags (they can be grouped: -dro FILE):
  -o FILE          configuration file (default ./confxml.xml)
  -r               full sync of every localpath to every remote before watching; changes made
                   meanwhile are kept and sent after it
  -d               run in the background, writing a pid file (--pid-file) and logging to a file
  -n N             transfers running at once across all remotes (default 10)
  -m NAME[,NAME]   plugin-only mode: run only these plugins on the watched changes, no rsync push
                   (any plugin: command, socket, http, refreshCDN or a third-party one; "rsync" keeps rsync)

Options:
  --check          validate the configuration, print what would run, exit 0 (valid) or 2
  --plugin-dir DIR  look for plugins in DIR first (repeatable)
  --list-plugins   list the plugins found and their versions
  --pid-file FILE  pid file for -d (default: fsrelay.pid in the state directory)
  --log-file FILE  append logs to FILE instead of stderr (default with -d: fsrelay.log in the state directory)
  --log-level L    error, warn, info or debug (default info; <debug start="true"> means debug)
  --log-format F   text or json (one JSON object a line); default text, or <fsrelay><log format>
  --json           with status: print the daemon's status document (JSON) instead of the summary
  -h, --help       this text
  -V, --version    version, commit and plugin API version

Commands:
  status           ask the daemon running with this configuration (-o FILE) how it is doing, over
                   its control socket in the state directory; exit 0 when every target is in sync,
                   1 when some are behind or failing, 3 when no daemon answers

Signals: SIGTERM or SIGINT flushes pending changes (bounded by <fsrelay><shutdown timeoutSeconds>)
and exits 0. SIGHUP reloads the configuration file (an invalid one is refused, the running one kept).
SIGUSR1 reopens the log file. Exit status: 0 ok, 1 runtime failure, 2 bad command line or configuration.
Docs: docs/config.md (configuration), docs/reload.md, docs/migrate-from-sersync.md, docs/rsync.md.
)";
}

CliParse parseCommandLine(int argc, char* const argv[]) {
  CliParse out;
  enum { kCheck = 256, kPluginDir, kListPlugins, kPidFile, kLogFile, kLogLevel, kLogFormat, kJson };
  static const option kLong[] = {
      {"help", no_argument, nullptr, 'h'},           {"version", no_argument, nullptr, 'V'},
      {"check", no_argument, nullptr, kCheck},       {"plugin-dir", required_argument, nullptr, kPluginDir},
      {"list-plugins", no_argument, nullptr, kListPlugins}, {"pid-file", required_argument, nullptr, kPidFile},
      {"log-file", required_argument, nullptr, kLogFile},   {"log-level", required_argument, nullptr, kLogLevel},
      {"log-format", required_argument, nullptr, kLogFormat}, {"json", no_argument, nullptr, kJson},
      {nullptr, 0, nullptr, 0}};
  optind = 0;  // full re-initialisation, so parsing can run more than once (tests)
  opterr = 0;
  // A subcommand comes first, as in `git status`; getopt then starts after it.
  char* const* args = argv;
  if (argc >= 2 && std::string_view(argv[1]) == "status") {
    out.options.command = Command::Status;
    --argc;
    ++args;
  }
  int c;
  while ((c = getopt_long(argc, args, "+:dro:n:m:hV", kLong, nullptr)) != -1) {
    switch (c) {
      case 'd': out.options.daemonize = true; break;
      case 'r': out.options.fullSync = true; break;
      case 'o': out.options.configPath = optarg; break;
      case 'n': {
        char* end = nullptr;
        long n = std::strtol(optarg, &end, 10);
        if (!end || *end || n < 1 || n > 1000) {
          out.error = std::string("-n takes a number of transfers from 1 to 1000, not '") + optarg + "'";
          return out;
        }
        out.options.threads = static_cast<int>(n);
        break;
      }
      case 'm': {
        std::stringstream ss(optarg);
        std::string name;
        while (std::getline(ss, name, ','))
          if (!name.empty()) out.options.pluginOnly.push_back(name);
        break;
      }
      case 'h': out.options.help = true; break;
      case 'V': out.options.version = true; break;
      case kCheck: out.options.check = true; break;
      case kPluginDir: out.options.pluginDirs.push_back(optarg); break;
      case kListPlugins: out.options.listPlugins = true; break;
      case kPidFile: out.options.pidFile = optarg; break;
      case kLogFile: out.options.logFile = optarg; break;
      case kLogLevel: out.options.logLevel = optarg; break;
      case kLogFormat:
        if (std::string_view(optarg) != "text" && std::string_view(optarg) != "json") {
          out.error = std::string("--log-format takes text or json, not '") + optarg + "'";
          return out;
        }
        out.options.logFormat = optarg;
        break;
      case kJson: out.options.json = true; break;
      case ':':
        out.error = optopt ? std::string("option -") + static_cast<char>(optopt) + " needs a value"
                           : std::string("option ") + args[optind - 1] + " needs a value";
        return out;
      default:
        out.error = optopt ? std::string("unknown option -") + static_cast<char>(optopt)
                           : std::string("unknown option ") + args[optind - 1];
        return out;
    }
  }
  if (optind < argc) {
    out.error = std::string("unexpected argument '") + args[optind] + "'";
    return out;
  }
  if (out.options.json && out.options.command != Command::Status) {
    out.error = "--json goes with the status command: fsrelay status --json";
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace fsrelay
