// fsrelay's entry point: parse flags, load the configuration, then hand over to the engine.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include <fsrelay/plugin.hpp>

#include "core/cli/daemonize.hpp"
#include "core/cli/log_format.hpp"
#include "core/cli/options.hpp"
#include "core/cli/run_loop.hpp"
#include "core/cli/state_dir.hpp"
#include "core/cli/status_client.hpp"
#include "core/config/config.hpp"
#include "core/engine/engine.hpp"
#include "core/log/log.hpp"
#include "core/plugin/plugin_loader.hpp"
#include "core/util/version_info.hpp"

using namespace fsrelay;

namespace {

int listPlugins(const CliOptions& options) {
  std::vector<std::string> dirs = options.pluginDirs;
  for (auto& d : PluginLoader::defaultDirs()) dirs.push_back(d);
  PluginLoader loader(dirs);
  auto files = loader.discover();
  std::cout << "plugin folders: ";
  for (std::size_t i = 0; i < dirs.size(); ++i) std::cout << (i ? ", " : "") << dirs[i];
  std::cout << "\nthis fsrelay: plugin API " << FSRELAY_SDK_API_MAJOR << "." << FSRELAY_SDK_API_MINOR << ", ABI "
            << FSRELAY_SDK_ABI_TAG << "\n";
  if (files.empty()) {
    std::cerr << "fsrelay: no plugins (fsrelay-*.so) found\n";
    return 1;
  }
  for (const auto& file : files) {
    std::string err;
    auto p = loader.load(file, &err);
    if (!p) {
      std::cout << "refused\t-\t-\t" << file << "\t" << err << "\n";
      continue;
    }
    std::cout << p->descriptor->name << "\t" << p->descriptor->version << "\tAPI " << p->descriptor->api_major << "."
              << p->descriptor->api_minor << "\t" << p->path << "\t"
              << (p->descriptor->summary ? p->descriptor->summary : "") << "\n";
  }
  return 0;
}

// glibc adapts its mmap threshold: once a burst frees a large buffer (a 100,000-path batch, a grown
// queue array), it raises the threshold to that size, so later buffers of that size come from the heaps,
// and a worker thread's heap gives freed memory back only from its top, past a trim threshold raised along
// with it. The daemon then stayed ~9 MiB above its idle size after a burst, in freed memory. Fixed values
// keep large buffers in mmap (returned on free) and trim a heap top above 512 KiB.
void fixMallocThresholds() {
  ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 512 * 1024);
}

}  // namespace

int main(int argc, char** argv) {
  fixMallocThresholds();
  CliParse cli = parseCommandLine(argc, argv);
  if (!cli.ok) {
    std::cerr << "fsrelay: " << cli.error << "\nTry 'fsrelay --help'.\n";
    return 2;
  }
  CliOptions& opt = cli.options;
  if (opt.help) {
    std::cout << usageText();
    return 0;
  }
  if (opt.version) {
    std::cout << "fsrelay " << FSRELAY_VERSION << " (commit " << FSRELAY_GIT_COMMIT << ", plugin API "
              << FSRELAY_SDK_API_MAJOR << "." << FSRELAY_SDK_API_MINOR << ", ABI " << FSRELAY_SDK_ABI_TAG << ")\n";
    return 0;
  }
  if (opt.command == Command::Status) return runStatusCommand(opt);
  if (opt.listPlugins) return listPlugins(opt);

  LoadResult loaded = loadConfig(opt.configPath);
  for (const auto& d : loaded.diagnostics) std::cerr << d.format() << "\n";
  if (!loaded.config) {
    std::cerr << "fsrelay: " << opt.configPath << " has errors; nothing started\n";
    return 2;
  }
  Config config = std::move(*loaded.config);
  const std::string stateDir = stateDirFor(config, opt);
  log::Level level;
  std::string levelError;
  if (!resolveLogLevel(config, opt, &level, &levelError)) {
    std::cerr << "fsrelay: " << levelError << "\n";
    return 2;
  }
  log::setLevel(level);
  log::setFormat(resolveLogFormat(config, opt));

  // Blocked before any thread starts, so every thread inherits it and only the signalfd sees them.
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&sigs, s);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  opt.stateDir = stateDir;
  auto engine = std::make_unique<Engine>(config, opt);
  if (!engine->prepare()) {
    std::cerr << "fsrelay: nothing started\n";
    return 2;
  }
  if (opt.check) {
    engine->describe();
    return 0;
  }

  std::string pidFile = opt.pidFile;
  int startedFd = -1;  // -d: the waiting parent learns from it that the daemon is watching
  if (opt.daemonize) {
    std::string err;
    if (pidFile.empty() || opt.logFile.empty()) {
      if (!ensureDir(stateDir, &err)) {
        std::cerr << "fsrelay: " << err << "\n";
        return 1;
      }
    }
    if (pidFile.empty()) pidFile = stateDir + "/fsrelay.pid";
    if (opt.logFile.empty()) opt.logFile = stateDir + "/fsrelay.log";
    if (!checkPidFile(pidFile, &err)) {
      std::cerr << "fsrelay: " << err << "\n";
      return 1;
    }
    if (!log::toFile(opt.logFile)) {
      std::cerr << "fsrelay: cannot open log file " << opt.logFile << "\n";
      return 1;
    }
    std::cerr << "fsrelay: running in the background; pid file " << pidFile << ", log " << opt.logFile << "\n";
    if (!daemonize(pidFile, opt.logFile, &startedFd, &err)) {
      log::error(err);
      return 1;
    }
    // What still writes to stderr (a sanitizer's report, std::terminate's message) goes to the log as well,
    // not to the /dev/null daemonize() left there.
    if (int fd = ::open(opt.logFile.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC); fd >= 0) {
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
  } else if (!opt.logFile.empty() && !log::toFile(opt.logFile)) {
    std::cerr << "fsrelay: cannot open log file " << opt.logFile << "\n";
    return 1;
  }
  engine->setOnWatching([startedFd] { reportStarted(startedFd); });
  int rc = runWithReload(std::move(engine), std::move(config), opt);
  if (opt.daemonize) removePidFile(pidFile);
  return rc;
}
