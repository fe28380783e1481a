// SIGHUP reload as a stop and a start within one process: the stop delivers (or fail-logs) what is queued and
// checkpoints the journal, the start recovers from that journal. So a reload reuses the two paths that the
// kill -9 and restart tests already hold to "nothing lost", instead of patching live targets and watches.
#include "core/cli/run_loop.hpp"

#include <optional>
#include <vector>

#include "core/cli/log_format.hpp"
#include "core/cli/state_dir.hpp"
#include "core/control/control_server.hpp"
#include "core/service/notifier.hpp"

namespace fsrelay {

bool resolveLogLevel(const Config& config, const CliOptions& options, log::Level* level, std::string* error) {
  *level = log::Level::Info;
  if (!log::parseLevel(config.tuning.logLevel, level)) *level = log::Level::Info;
  if (config.debug) *level = log::Level::Debug;
  if (!options.logLevel.empty() && !log::parseLevel(options.logLevel, level)) {
    *error = "--log-level takes error, warn, info or debug, not '" + options.logLevel + "'";
    return false;
  }
  return true;
}

std::string stateDirFor(const Config& config, const CliOptions& options) {
  return config.tuning.stateDir.empty() ? defaultStateDir(options.configPath) : config.tuning.stateDir;
}

namespace {

// Reads the file again and builds a throw-away engine from it in --check mode (plugins validate their
// settings but bind and start nothing). Every problem is logged; the config is returned only when clean.
std::optional<Config> checkNewConfig(const CliOptions& options) {
  LoadResult loaded = loadConfig(options.configPath);
  for (const auto& d : loaded.diagnostics)
    log::write(d.severity == Diagnostic::Severity::Error ? log::Level::Error : log::Level::Warn, d.format());
  if (!loaded.config) return std::nullopt;
  CliOptions checkOptions = options;
  checkOptions.check = true;
  checkOptions.stateDir = stateDirFor(*loaded.config, options);
  std::vector<std::string> errors;
  bool ok = false;
  {
    Engine candidate(*loaded.config, checkOptions);
    candidate.captureErrors(&errors);
    ok = candidate.prepare();
  }
  for (const auto& e : errors) log::error(e);
  if (!ok) return std::nullopt;
  return loaded.config;
}

std::unique_ptr<Engine> startEngine(const Config& config, CliOptions options, const std::vector<std::string>& previous,
                                    bool syncNewTargets) {
  options.stateDir = stateDirFor(config, options);
  options.fullSync = false;  // -r was for the first start; new targets get theirs through continueFrom
  auto engine = std::make_unique<Engine>(config, options);
  std::vector<std::string> errors;
  engine->captureErrors(&errors);
  bool ok = engine->prepare();
  for (const auto& e : errors) log::error(e);
  if (!ok) return nullptr;
  engine->captureErrors(nullptr);
  engine->continueFrom(previous, syncNewTargets);
  return engine;
}

// The control socket lives in the state folder; a reload that moves the folder moves the socket with it.
void listenIn(ControlServer& control, const std::string& stateDir) {
  if (control.running() && control.path() == controlSocketPath(stateDir)) return;
  control.stop();
  std::string err;
  if (!ensureDir(stateDir, &err) || !control.start(stateDir, &err))
    log::warn("no control socket (fsrelay status will not reach this daemon): ", err);
}

}  // namespace

int runWithReload(std::unique_ptr<Engine> engine, Config config, CliOptions options) {
  const bool startedWithFullSync = options.fullSync;
  std::optional<Config> next;
  // Both outlive every engine of this process; each engine is handed to them and taken back before it goes.
  Notifier notifier(config.tuning.shutdownSeconds);
  ControlServer control;
  listenIn(control, stateDirFor(config, options));
  for (;;) {
    engine->setReloadCheck([&] {
      next = checkNewConfig(options);
      return next.has_value();
    });
    if (notifier.enabled()) engine->setObserver(&notifier);
    control.setSource([e = engine.get()](StatusFormat f) { return f == StatusFormat::Json ? e->statusJson() : e->statusText(); });
    int rc = engine->run();
    control.setSource(nullptr);  // waits for a request being answered from this engine
    if (!engine->reloadRequested()) return rc;

    std::vector<std::string> previous = engine->targetNames();
    engine.reset();  // watches closed, plugins unloaded, ports released, journal checkpointed and closed
    log::Level level;
    std::string err;
    if (resolveLogLevel(*next, options, &level, &err)) log::setLevel(level);
    log::setFormat(resolveLogFormat(*next, options));
    engine = startEngine(*next, options, previous, startedWithFullSync);
    if (engine) {
      config = std::move(*next);
      log::info("reloaded ", options.configPath);
      listenIn(control, stateDirFor(config, options));
    } else {
      // Checked a moment ago, so something changed under it (a plugin file, a password file): keep serving.
      log::error("the new configuration could not be started (above); going back to the previous one");
      engine = startEngine(config, options, previous, false);
      if (!engine) {
        log::error("the previous configuration cannot be started either; stopping");
        if (notifier.enabled()) notifier.onStopping(false);
        return 1;
      }
    }
    next.reset();
  }
}

}  // namespace fsrelay
