// The daemon's event loop: watchers in, coalescers in the middle, targets out; timers and shutdown.
#pragma once

#include <atomic>
#include <shared_mutex>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cli/options.hpp"
#include "core/coalesce/coalescer.hpp"
#include "core/config/config.hpp"
#include "core/dispatch/fail_log.hpp"
#include "core/dispatch/target.hpp"
#include "core/engine/engine_observer.hpp"
#include "core/filter/filter.hpp"
#include "core/journal/journal.hpp"
#include "core/plugin/host_services.hpp"
#include "core/plugin/plugin_loader.hpp"
#include "core/plugin/plugin_settings.hpp"
#include "core/watch/watcher.hpp"

namespace fsrelay {

class Engine final : public HostControl {
 public:
  Engine(Config config, CliOptions options);
  ~Engine();

  // Builds filters, loads plugins and creates every target; nothing is watched or sent yet.
  // On a problem prints it (with file:line where there is one) and returns false.
  bool prepare();
  // Prints the effective setup (for --check).
  void describe() const;
  // Watches, syncs and runs until SIGTERM/SIGINT; returns the exit status. Signals must be blocked.
  int run();

  // HostControl: what plugins see of the daemon (the http plugin's /status, /metrics, POST /sync).
  std::string statusJson() const override;
  // The same state for people (`fsrelay status`, core/engine/engine_status_text.cpp); any thread.
  std::string statusText() const;
  // Counts for the service manager's status line; any thread, but meant for the observer's onTurn.
  EngineSummary summary() const;
  std::string metricsText() const override;
  bool requestFullSync(const std::string& root, const std::string& target, std::string* error) override;

  // SIGHUP: run() calls check on the event loop; when it accepts the new configuration, run() delivers what
  // is pending like a stop and returns with reloadRequested() set (docs/reload.md). Without a check, SIGHUP
  // is logged and ignored.
  void setReloadCheck(std::function<bool()> check) { reloadCheck_ = std::move(check); }
  // Called once, when every root is watched (before any -r sync is done): -d's parent waits for it.
  void setOnWatching(std::function<void()> fn) { onWatching_ = std::move(fn); }
  bool reloadRequested() const { return reloadRequested_; }
  // Told about readiness, every loop turn and the beginning of a stop (the systemd notifier); may be null.
  void setObserver(EngineObserver* observer) { observer_ = observer; }
  // This engine takes over from one that stopped for a reload: its journal's checkpoint covers the gap, and
  // targets not among previousTargets get a full sync when syncNewTargets (fsrelay was started with -r).
  void continueFrom(std::vector<std::string> previousTargets, bool syncNewTargets);
  std::vector<std::string> targetNames() const;
  // Configuration errors found by prepare() go here instead of stderr (a reload logs them).
  void captureErrors(std::vector<std::string>* out) { errorsOut_ = out; }

 private:
  struct Root;
  class Sink;

  bool buildFilters();
  bool prepareRsync();
  bool preparePlugin(const std::string& name, int refLine);
  Root& rootFor(const std::string& watch);
  // Creates the plugin instance and its target; prints a file:line error and returns false on a problem.
  bool addTarget(const LoadedPlugin& plugin, const std::string& name, Root& root, const PluginSettings& settings,
                 int line);
  void error(int line, const std::string& message) const;
  // Copies the root watcher's unwatched directories where status requests read them.
  void publishUnwatched(Root& root);
  bool startWatching();
  void loop();
  void shutdown();
  void handleOverflow(Root& root);
  // After a previous run: replays what its journal left pending and finds what changed while fsrelay was
  // not running (docs/journal.md).
  void recover(const JournalState& previous);
  // Changes under root since sinceNs (mtime or ctime), by a walk; *dirChanged when a directory changed
  // (an entry may have been deleted or renamed there, which only a full sync can find).
  std::vector<PendingChange> changedSince(const Root& root, std::int64_t sinceNs, bool* dirChanged) const;
  bool allIdle() const;
  // Journal upkeep once per loop turn: "F root" records for full syncs, a checkpoint when idle, and a
  // compaction that keeps what is still pending when the daemon is busy for long.
  void journalTurn(std::int64_t nowMs, std::int64_t readStartNs, std::int64_t* lastCheckpointMs);
  std::vector<OwnedExclude> excludesFor(const Root& root, bool withCrontabGlobs) const;
  std::string targetName(const LocalPathConf& lp, const RemoteConf& r) const;

  Config config_;
  CliOptions options_;
  Filter filter_;
  TempNames tempNames_;
  Lifecycle life_;
  std::unique_ptr<FailLog> failLog_;
  std::unique_ptr<Journal> journal_;  // null when it could not be opened (fsrelay runs without one)
  std::unique_ptr<TransferSlots> slots_;
  std::unique_ptr<PluginLoader> loader_;
  std::vector<std::shared_ptr<LoadedPlugin>> plugins_;
  std::vector<std::unique_ptr<Root>> roots_;
  std::vector<std::unique_ptr<Target>> targets_;  // destroyed before loader_/rsync_ (declared after)
  int signalFd_ = -1;
  int wakeFd_ = -1;
  std::atomic<bool> ready_{false};
  // Plugin threads read roots_ and targets_ through HostControl; teardown takes it exclusively and sets
  // closing_, after which those calls answer "stopping" without touching either.
  mutable std::shared_mutex controlMutex_;
  bool closing_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::function<bool()> reloadCheck_;
  std::function<void()> onWatching_;
  bool reloadRequested_ = false;
  bool reloaded_ = false;  // took over from an engine stopped by a reload
  bool syncNewTargets_ = false;
  std::vector<std::string> previousTargets_;
  std::vector<std::string>* errorsOut_ = nullptr;
  RateHistory eventRates_;  // events read per 10 s, sampled by loop(), for /status's chart
  EngineObserver* observer_ = nullptr;
};

}  // namespace fsrelay
