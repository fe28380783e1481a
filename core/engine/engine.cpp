// Event loop and lifecycle of the daemon.
#include "core/engine/engine.hpp"
#include "core/engine/engine_root.hpp"

#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "core/log/log.hpp"
#include "core/plugin/plugin_sections.hpp"
#include "core/plugin/plugin_settings.hpp"
#include "core/engine/progress_report.hpp"
#include "core/util/escape.hpp"
#include "core/util/metrics.hpp"
#include "core/watch/watcher_factory.hpp"
#include "core/watch/tree_walk.hpp"
#include "core/cli/state_dir.hpp"

namespace fsrelay {
namespace {

std::int64_t monoMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr std::int64_t kCheckpointMarginNs = 2'000'000'000;

std::int64_t wallNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

const char* kindName(ChangeKind k) {
  switch (k) {
    case ChangeKind::Write: return "write";
    case ChangeKind::Settle: return "close";
    case ChangeKind::Update: return "update";
    case ChangeKind::Delete: return "delete";
  }
  return "?";
}

}  // namespace


// Feeds one root's watcher output into its coalescer.
class Engine::Sink final : public WatchSink {
 public:
  explicit Sink(Root& root) : root_(root) {}
  void setNow(std::int64_t nowMs) { now_ = nowMs; }
  void onChange(std::string_view rel, ChangeKind kind, bool isDir, bool born) override {
    if (log::enabled(log::Level::Debug))
      log::debug("event ", kindName(kind), isDir ? " dir " : " ", escapeBytes(root_.conf.watch), "/", escapeBytes(rel));
    root_.coalescer->add(rel, kind, isDir, born, now_, wallNs());
    metrics::add("events", 1);
  }
  void onMove(std::string_view from, std::string_view to, bool isDir) override {
    if (log::enabled(log::Level::Debug))
      log::debug("event move ", escapeBytes(root_.conf.watch), "/", escapeBytes(from), " -> ", escapeBytes(to));
    root_.coalescer->move(from, to, isDir, now_, wallNs());
    metrics::add("events", 1);
  }
  void onOverflow(bool rootReturned) override {
    root_.overflowed = true;
    root_.rootReturned = root_.rootReturned || rootReturned;
  }

 private:
  Root& root_;
  std::int64_t now_ = 0;
};

Engine::Engine(Config config, CliOptions options) : config_(std::move(config)), options_(std::move(options)) {}

Engine::~Engine() {
  {
    std::unique_lock lock(controlMutex_);
    closing_ = true;
  }
  targets_.clear();
  if (signalFd_ >= 0) ::close(signalFd_);
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

std::string Engine::targetName(const LocalPathConf& lp, const RemoteConf& r) const {
  const auto& rs = config_.rsync;
  std::string user = rs.auth && !rs.users.empty() ? rs.users + "@" : "";
  return "rsync " + lp.watch + " -> " + user + r.ip + (rs.ssh ? ":" : "::") + r.name;
}

void Engine::error(int line, const std::string& message) const {
  std::string text = Diagnostic{Diagnostic::Severity::Error, config_.file, line, message}.format();
  if (errorsOut_) errorsOut_->push_back(std::move(text));
  else std::cerr << text << "\n";
}

void Engine::continueFrom(std::vector<std::string> previousTargets, bool syncNewTargets) {
  reloaded_ = true;
  previousTargets_ = std::move(previousTargets);
  syncNewTargets_ = syncNewTargets;
}

std::vector<std::string> Engine::targetNames() const {
  std::vector<std::string> names;
  for (const auto& t : targets_) names.push_back(t->name());
  return names;
}

bool Engine::buildFilters() {
  std::string err;
  int line = 0;
  auto filter = Filter::build(config_.filter, &err, &line);
  if (!filter) {
    error(line, err);
    return false;
  }
  filter_ = std::move(*filter);
  auto temps = TempNames::build(config_.tuning.tempPatterns, &err);
  if (!temps) {
    error(0, err);
    return false;
  }
  tempNames_ = std::move(*temps);
  return true;
}

Engine::Root& Engine::rootFor(const std::string& watch) {
  for (auto& r : roots_)
    if (r->conf.watch == watch) return *r;
  auto root = std::make_unique<Root>();
  root->conf.watch = watch;
  Coalescer::Options copt;
  copt.tempHoldMs = config_.tuning.tempHoldMs;
  copt.writeHoldMs = config_.tuning.writeHoldMs;
  copt.isTemp = [this](std::string_view name) { return tempNames_.isTemp(name); };
  root->coalescer = std::make_unique<Coalescer>(copt);
  root->sink = std::make_unique<Sink>(*root);
  std::unique_lock lock(controlMutex_);  // an http plugin created earlier may already serve /status
  roots_.push_back(std::move(root));
  return *roots_.back();
}

bool Engine::addTarget(const LoadedPlugin& plugin, const std::string& name, Root& root, const PluginSettings& settings,
                       int line) {
  for (const auto& t : targets_) {
    if (t->name() != name) continue;
    error(line, "two targets are both called '" + name + "' (the same plugin, root and destination twice)");
    return false;
  }
  auto host = std::make_unique<HostServices>(name, life_, this);
  char errbuf[512] = {0};
  sdk::CreateArgs args{FSRELAY_SDK_API_MINOR, host.get(), settings.data(), settings.size(),
                       {name.data(), name.size()}, {root.conf.watch.data(), root.conf.watch.size()},
                       errbuf, sizeof errbuf, static_cast<std::uint8_t>(options_.check ? 1 : 0)};
  sdk::Instance* inst = nullptr;
  std::string thrown;
  try {
    inst = plugin.descriptor->create(&args);
  } catch (const std::exception& e) {
    thrown = e.what();
  } catch (...) {
    thrown = "an unknown exception";
  }
  if (!inst) {
    error(line, "cannot set up " + name + ": " +
                    (!thrown.empty() ? "the plugin threw " + thrown : errbuf[0] ? errbuf : "the plugin refused its settings"));
    return false;
  }
  RetryPolicy retry{config_.tuning.retryLimit, std::chrono::milliseconds(config_.tuning.retryInitialMs),
                    std::chrono::milliseconds(config_.tuning.retryMaxMs)};
  Root* rootPtr = &root;
  Target::Options topt{name, root.conf.watch, plugin.descriptor->name, retry,
                       static_cast<std::size_t>(config_.tuning.maxBatchPaths),
                       [this, rootPtr] { return excludesFor(*rootPtr, false); }};
  auto target = std::make_unique<Target>(topt, inst, std::move(host), *failLog_, *slots_, life_, [this] {
    if (wakeFd_ >= 0) {
      std::uint64_t one = 1;
      [[maybe_unused]] auto r = ::write(wakeFd_, &one, sizeof one);
    }
  });
  std::unique_lock lock(controlMutex_);  // an http plugin created earlier may already serve /status
  root.targets.push_back(target.get());
  targets_.push_back(std::move(target));
  return true;
}

bool Engine::prepareRsync() {
  std::string err;
  auto rsync = loader_->load("rsync", &err);
  if (!rsync) {
    error(0, err);
    return false;
  }
  plugins_.push_back(rsync);
  bool ok = true;
  for (const auto& lp : config_.localpaths) {
    Root& root = rootFor(lp.watch);
    for (const auto& remote : lp.remotes) {
      const auto& rs = config_.rsync;
      std::map<std::string, std::string> values{{"root", lp.watch},
                                                {"remote_ip", remote.ip},
                                                {"remote_name", remote.name},
                                                {"params", rs.commonParams},
                                                {"ssh", rs.ssh ? "true" : "false"},
                                                {"delete", config_.inotify.del ? "true" : "false"},
                                                {"debug", config_.debug ? "true" : "false"}};
      if (rs.auth) {
        values["auth_users"] = rs.users;
        values["password_file"] = rs.passwordFile;
      }
      if (rs.port) values["port"] = std::to_string(*rs.port);
      if (!config_.tuning.rsyncPath.empty()) values["rsync_path"] = config_.tuning.rsyncPath;
      values["fast_handshake"] = config_.tuning.fastHandshake ? "true" : "false";
      values["transfer_timeout_ms"] = std::to_string(config_.tuning.transferTimeoutMs);
      if (rs.timeout) values["timeout"] = std::to_string(*rs.timeout);
      PluginSettings settings;
      if (!settings.build(*rsync->descriptor, values, &err)) {
        error(remote.line, err);
        ok = false;
        continue;
      }
      ok = addTarget(*rsync, targetName(lp, remote), root, settings, remote.line) && ok;
    }
  }
  return ok;
}

// A plugin named by <sersync><plugin start="true"> or -m: every <plugin name="..."> section of that name
// (compared without case, so sersync's refreshCDN finds fsrelay-refreshcdn.so), or defaults without one.
bool Engine::preparePlugin(const std::string& name, int refLine) {
  std::vector<const XmlNode*> sections;
  for (const auto& s : config_.pluginSections) {
    for (const auto& [k, v] : s.attributes)
      if (k == "name" && pluginFileName(v) == pluginFileName(name)) sections.push_back(&s);
  }
  if (sections.empty()) sections.push_back(nullptr);
  std::vector<std::string> defaultRoots;
  for (const auto& lp : config_.localpaths) defaultRoots.push_back(lp.watch);
  bool ok = true;
  for (const XmlNode* section : sections) {
    std::string path;
    if (section)
      for (const auto& [k, v] : section->attributes)
        if (k == "path") path = v;
    const int line = section ? section->line : refLine;
    std::string err;
    auto plugin = loader_->load(path.empty() ? pluginFileName(name) : path, &err);
    if (!plugin) {
      error(line, err);
      ok = false;
      continue;
    }
    if (std::find(plugins_.begin(), plugins_.end(), plugin) == plugins_.end()) plugins_.push_back(plugin);
    SectionPlan plan = planSection(section, *plugin->descriptor, defaultRoots, config_.host);
    if (!plan.error.empty()) {
      error(plan.errorLine ? plan.errorLine : line, plan.error);
      ok = false;
      continue;
    }
    if (plan.instances.empty()) {
      error(line, "plugin " + name + " has no root to serve: give its section a <localpath watch=\"...\">, or list "
                  "roots under <sersync>");
      ok = false;
      continue;
    }
    for (const auto& inst : plan.instances) {
      PluginSettings settings;
      int errLine = 0;
      if (!settings.build(*plugin->descriptor, inst.values, &err, &errLine)) {
        error(errLine ? errLine : inst.line ? inst.line : line, err);
        ok = false;
        continue;
      }
      std::string targetName = std::string(plugin->descriptor->name) + " " + inst.root;
      if (!inst.label.empty()) targetName += " -> " + inst.label;
      ok = addTarget(*plugin, targetName, rootFor(inst.root), settings, inst.line ? inst.line : line) && ok;
    }
  }
  return ok;
}

bool Engine::prepare() {
  if (!buildFilters()) return false;
  std::vector<std::string> dirs = options_.pluginDirs;
  if (!config_.tuning.pluginDir.empty()) dirs.push_back(config_.tuning.pluginDir);
  for (auto& d : PluginLoader::defaultDirs()) dirs.push_back(d);
  loader_ = std::make_unique<PluginLoader>(dirs);
  {
    // The fail log is written only when a transfer has failed for good: a missing or read-only folder
    // would surface then, at the worst moment. Say it now (and in --check).
    const std::string& path = config_.failLog.path;
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
      error(config_.failLog.line, "the fail log " + path + " cannot be written: its folder " + dir + " " +
                                      (errno == ENOENT ? "does not exist" : "is not writable (" +
                                                                                std::string(std::strerror(errno)) + ")"));
      return false;
    }
  }
  failLog_ = std::make_unique<FailLog>(config_.failLog.path);
  slots_ = std::make_unique<TransferSlots>(options_.threads);

  // -m NAME[,NAME] runs only the named plugins; "rsync" among them keeps the rsync push.
  std::vector<std::pair<std::string, int>> wanted;
  bool withRsync = options_.pluginOnly.empty();
  if (options_.pluginOnly.empty()) {
    for (const auto& ref : config_.plugins)
      if (ref.enabled) wanted.emplace_back(ref.name, ref.line);
  } else {
    for (const auto& n : options_.pluginOnly) {
      if (pluginFileName(n) == "rsync") withRsync = true;
      else wanted.emplace_back(n, 0);
    }
  }
  bool ok = true;
  if (withRsync) ok = prepareRsync();
  std::vector<std::string> seen;
  for (const auto& [name, line] : wanted) {
    if (std::find(seen.begin(), seen.end(), pluginFileName(name)) != seen.end()) continue;
    seen.push_back(pluginFileName(name));
    ok = preparePlugin(name, line) && ok;
  }
  // Every root is known now: give each its watcher (a forced backend that cannot work stops here, in --check too).
  for (auto& root : roots_) {
    WatcherChoice choice = makeWatcher(config_.tuning.watcher, root->conf.watch, filter_, config_.inotify, config_.xfs);
    if (!choice.watcher) {
      error(config_.tuning.watcherLine, choice.error);
      return false;
    }
    root->watcher = std::move(choice.watcher);
    root->watcher->setWatchLimit(config_.tuning.watchLimitScan, config_.tuning.watchLimitScanSeconds);
    root->watcherNote = std::move(choice.note);
  }
  if (ok && targets_.empty()) {
    error(0, withRsync ? "nothing to do: no <localpath> with a <remote> under <sersync>, and no plugin enabled"
                       : "nothing to do: the plugins named by -m serve no root");
    return false;
  }
  return ok;
}

void Engine::describe() const {
  std::cout << "configuration " << config_.file << " is valid\n";
  for (const auto& p : plugins_)
    std::cout << "plugin " << p->descriptor->name << ": " << p->path << " (version " << p->descriptor->version << ", API "
              << p->descriptor->api_major << "." << p->descriptor->api_minor << ")\n";
  for (const auto& root : roots_) {
    std::cout << "watch " << escapeBytes(root->conf.watch) << " (watcher: " << root->watcher->backend() << ")\n";
    if (!root->watcherNote.empty()) std::cout << "  " << root->watcherNote << "\n";
    for (const auto* t : root->targets) std::cout << "  to: " << escapeBytes(t->name()) << "\n";
  }
  std::cout << "rsync params: " << config_.rsync.commonParams << (config_.rsync.auth ? ", auth" : "")
            << (config_.rsync.port ? ", port " + std::to_string(*config_.rsync.port) : "")
            << (config_.rsync.ssh ? ", over ssh" : "") << "\n";
  std::cout << "filter: " << (config_.filter.enabled ? std::to_string(config_.filter.excludes.size()) + " exclude rules" : "off")
            << "; deletions " << (config_.inotify.del ? "propagated" : "not propagated") << "\n";
  std::cout << "fail log: " << config_.failLog.path << " (replayed every " << config_.failLog.minutes << " min)\n";
  if (config_.crontab.enabled) std::cout << "full sync every " << config_.crontab.minutes << " min\n";
  std::cout << "transfers at once: " << options_.threads << "; retry limit " << config_.tuning.retryLimit << "\n";
  if (!options_.stateDir.empty()) std::cout << "state folder (journal, -d pid file and log): " << options_.stateDir << "\n";
  // Every setting as it applies, defaults filled in, in the config's own element names: what an operator
  // needs to answer "what is this daemon actually doing" without reading the defaults tables.
  const auto& t = config_.tuning;
  const auto& in = config_.inotify;
  const auto onOff = [](bool b) { return b ? "true" : "false"; };
  std::cout << "effective settings (defaults filled in):\n";
  std::cout << "  inotify: delete=" << onOff(in.del) << " createFolder=" << onOff(in.createFolder)
            << " createFile=" << onOff(in.createFile) << " closeWrite=" << onOff(in.closeWrite)
            << " moveFrom=" << onOff(in.moveFrom) << " moveTo=" << onOff(in.moveTo) << " attrib=" << onOff(in.attrib)
            << " modify=" << onOff(in.modify) << "\n";
  const char* envWatcher = std::getenv("FSRELAY_WATCHER");
  std::cout << "  watcher: backend=" << watcherBackendName(t.watcher)
            << (envWatcher && *envWatcher ? log::cat(" (FSRELAY_WATCHER=", envWatcher, " overrides it)") : std::string())
            << "\n";
  for (const auto& rule : config_.filter.excludes)
    std::cout << "  exclude: " << rule.expression << (config_.filter.enabled ? "" : " (filter off)") << "\n";  // as in the XML
  std::cout << "  rsync: path=" << (t.rsyncPath.empty() ? "rsync (from PATH)" : t.rsyncPath)
            << " fastHandshake=" << onOff(t.fastHandshake) << " transferTimeoutMs=" << t.transferTimeoutMs
            << " timeout=" << (config_.rsync.timeout ? std::to_string(*config_.rsync.timeout) + " s" : "none") << "\n";
  std::cout << "  retry: limit=" << t.retryLimit << " initialMs=" << t.retryInitialMs << " maxMs=" << t.retryMaxMs << "\n";
  std::cout << "  batching: tempHoldMs=" << t.tempHoldMs << " writeHoldMs=" << t.writeHoldMs
            << " maxPaths=" << t.maxBatchPaths << "\n";
  std::cout << "  tempFiles:";
  for (const auto& p : t.tempPatterns) std::cout << " " << p;
  std::cout << (t.tempPatterns.empty() ? " none\n" : "\n");
  std::cout << "  shutdown: timeoutSeconds=" << t.shutdownSeconds << "\n";
  std::cout << "  watchLimit: action=" << (t.watchLimitScan ? "scan" : "fail")
            << " scanSeconds=" << t.watchLimitScanSeconds << "\n";
  std::cout << "  log: level=" << t.logLevel << (config_.debug ? " (debug on)" : "")
            << " format=" << (options_.logFormat.empty() ? t.logFormat : options_.logFormat + " (--log-format)") << "\n";
  std::cout << "  crontab: " << (config_.crontab.enabled ? "every " + std::to_string(config_.crontab.minutes) + " min" : "off")
            << "\n";
}

bool Engine::startWatching() {
  for (auto& root : roots_) {
    std::string err;
    auto t0 = monoMs();
    if (!root->watcher->start(&err)) {
      log::error(err);
      return false;
    }
    root->watches = root->watcher->watchCount();
    publishUnwatched(*root);
    if (!root->watcherNote.empty()) log::info(root->watcherNote);
    if (std::string_view(root->watcher->backend()) == "fanotify")
      log::info("watching ", escapeBytes(root->conf.watch), " with fanotify (one mark on its whole file system, "
                "no per-directory watches) in ", monoMs() - t0, " ms");
    else
      log::info("watching ", escapeBytes(root->conf.watch), ": ", root->watcher->watchCount(), " directories in ",
                monoMs() - t0, " ms (inotify)");
  }
  return true;
}

void Engine::publishUnwatched(Root& root) {
  std::size_t n = root.watcher->unwatchedCount();
  if (n == 0 && root.unwatchedCount == 0) return;  // the common case: nothing to copy, no lock
  auto paths = root.watcher->unwatched(kStatusUnwatchedMax);
  std::lock_guard lock(root.unwatchedMutex);
  root.unwatched = std::move(paths);
  root.unwatchedCount = n;
}

std::vector<OwnedExclude> Engine::excludesFor(const Root& root, bool withCrontabGlobs) const {
  std::vector<OwnedExclude> out;
  if (!filter_.empty()) {
    walkTree(root.conf.watch, "", filter_, config_.xfs, [&](const WalkEntry& e) {
      if (e.excluded) out.push_back(OwnedExclude{std::string(e.rel), false, e.type == EntryType::Dir});
      return true;
    });
  }
  if (withCrontabGlobs && config_.crontab.filterEnabled)
    for (const auto& g : config_.crontab.excludeGlobs) out.push_back(OwnedExclude{g, true, false});
  return out;
}

void Engine::handleOverflow(Root& root) {
  root.overflowed = false;
  if (root.rootReturned) {
    root.rootReturned = false;
    log::warn(escapeBytes(root.conf.watch), " is a directory again: watching it and running a full sync to each of "
              "its remotes");
  } else {
    metrics::add("overflows", 1);
    const std::string backend = root.watcher->backend();
    log::warn(backend, " queue overflowed under ", escapeBytes(root.conf.watch),
              ": events were lost; rescanning it and running a full sync to each of its remotes (raise fs.",
              backend, ".max_queued_events to make this rarer)");
  }
  root.watcher->rescan();
  for (auto* t : root.targets) t->requestFullSync();
}

int Engine::run() {
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&sigs, s);
  signalFd_ = ::signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

  std::string err;
  std::vector<std::string> warnings;
  if (!failLog_->load(&err, &warnings)) log::error(err);
  for (auto& w : warnings) log::warn(w);

  JournalState previous;
  if (!options_.stateDir.empty()) {
    std::string jerr;
    if (!ensureDir(options_.stateDir, &jerr)) {
      log::error(jerr, "; running without a journal: a crash would need a full sync (-r) to be safe");
    } else {
      journal_ = std::make_unique<Journal>(options_.stateDir + "/journal");
      std::vector<std::string> jwarn;
      if (!journal_->open(&previous, &jwarn, &jerr)) {
        log::error(jerr, "; running without a journal: a crash would need a full sync (-r) to be safe");
        journal_.reset();
      }
      for (auto& w : jwarn) log::warn(w);
    }
  }

  if (!startWatching()) return 1;
  if (onWatching_) {
    onWatching_();
    onWatching_ = nullptr;
  }
  for (auto& t : targets_) t->start();
  if (failLog_->size() > 0) {
    log::info("fail log ", failLog_->path(), " holds ", failLog_->size(), " entries; replaying them");
    for (auto& t : targets_) t->replayFailLog();
  }
  if (options_.fullSync) {
    for (auto& root : roots_)
      for (auto* t : root->targets) t->requestFullSync();
  }
  if (reloaded_) {
    for (auto& t : targets_) {
      if (std::find(previousTargets_.begin(), previousTargets_.end(), t->name()) != previousTargets_.end()) continue;
      log::info("reload: new target ", escapeBytes(t->name()),
                syncNewTargets_ ? "; full sync (fsrelay was started with -r)" : "; it gets changes from now on (no -r)");
      if (syncNewTargets_) t->requestFullSync();
    }
  }
  if (journal_) recover(previous);
  else if (reloaded_) {
    // Nothing vouches for the moment between the two engines' watches: make every target equal.
    log::info("reload without a journal: full sync of every root");
    for (auto& t : targets_) t->requestFullSync();
  }
  loop();
  shutdown();
  return 0;
}

void Engine::loop() {
  bool ready = false;
  std::size_t dirs = 0;
  for (auto& r : roots_) dirs += r->watcher->watchCount();
  const std::int64_t replayEveryMs = std::int64_t(config_.failLog.minutes) * 60000;
  const std::int64_t cronEveryMs = std::int64_t(config_.crontab.minutes) * 60000;
  std::int64_t nextReplay = monoMs() + replayEveryMs;
  std::int64_t nextCron = monoMs() + cronEveryMs;
  // Running full syncs show their progress: a redrawn bar on a terminal that gets the log as text, else a
  // log line every 10 s (every second at debug level).
  const std::string& logFormat = options_.logFormat.empty() ? config_.tuning.logFormat : options_.logFormat;
  ProgressReporter progress(::isatty(STDERR_FILENO) && options_.logFile.empty() && !options_.daemonize &&
                                logFormat != "json",
                            log::enabled(log::Level::Debug) ? 1000 : 10000, STDERR_FILENO);
  std::int64_t lastCheckpoint = 0;
  std::int64_t trimmedAtEvents = 0;
  std::int64_t lastTrimMs = 0;

  for (;;) {
    std::int64_t now = monoMs();
    std::int64_t timeout = 1000;
    for (auto& r : roots_) {
      if (auto d = r->coalescer->nextDeadline()) timeout = std::min(timeout, *d - now);
      if (auto d = r->watcher->nextDeadline()) timeout = std::min(timeout, *d - now);
    }
    // Until ready, look again soon: "ready:" is what operators and tests wait for, and nothing may wake
    // the loop when there is no full sync to finish.
    if (!ready) timeout = std::min<std::int64_t>(timeout, 20);
    if (observer_) timeout = std::min(timeout, observer_->onTurn(now, *this) - now);  // watchdog pings
    timeout = std::max<std::int64_t>(0, timeout);
    std::vector<pollfd> fds;
    fds.push_back({signalFd_, POLLIN, 0});
    fds.push_back({wakeFd_, POLLIN, 0});
    for (auto& r : roots_) fds.push_back({r->watcher->fd(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), static_cast<int>(timeout));
    now = monoMs();
    // Every change made before this moment is read below; a checkpoint may vouch for it once delivered.
    const std::int64_t readStartNs = wallNs();

    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      bool stop = false;
      while (::read(signalFd_, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
          log::info("received ", strsignal(static_cast<int>(si.ssi_signo)), ": flushing pending changes");
          stop = true;
        } else if (si.ssi_signo == SIGHUP) {
          if (!reloadCheck_) {
            log::warn("SIGHUP: no configuration file to reload; ignored");
          } else if (reloadCheck_()) {
            log::info("SIGHUP: ", config_.file, " is valid; delivering pending changes, then switching to it");
            reloadRequested_ = true;
            stop = true;
          } else {
            log::error("SIGHUP: ", config_.file, " has errors (above); the running configuration stays in force");
            metrics::add("reload_failures", 1);
          }
        } else if (si.ssi_signo == SIGUSR1) {
          if (!log::reopen()) log::error("SIGUSR1: cannot reopen the log file; still writing to the old one");
        }
      }
      if (stop) {
        if (observer_) observer_->onStopping(reloadRequested_);
        return;
      }
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] auto r = ::read(wakeFd_, &v, sizeof v);
    }
    for (std::size_t i = 0; i < roots_.size(); ++i) {
      Root& root = *roots_[i];
      root.sink->setNow(now);
      if (fds[i + 2].revents & POLLIN) {
        root.watcher->readEvents(*root.sink, now);
      } else {
        root.watcher->tick(*root.sink, now);
      }
      if (root.overflowed) handleOverflow(root);
      root.watches = root.watcher->watchCount();
      publishUnwatched(root);
      bool fullActive = false;
      for (auto* t : root.targets) fullActive = fullActive || t->fullSyncActive();
      root.coalescer->setPreciseDeletes(fullActive);
      auto changes = root.coalescer->takeReady(now);
      if (!changes.empty()) {
        // Journal first: the last target takes the changes by move.
        if (journal_)
          for (const auto& c : changes) {
            journal_->record(root.conf.watch, c.path);
            if (c.op == sdk::Op::Move) journal_->record(root.conf.watch, c.oldPath);
          }
        enqueueEach(root.targets, std::move(changes));
      }
    }
    if (journal_) journalTurn(now, readStartNs, &lastCheckpoint);
    // A drained burst gives its queue memory back: glibc keeps freed heap for reuse, so a daemon that once
    // held 1,000,000 pending changes would otherwise stay at that peak for good (docs/benchmarks.md).
    const std::int64_t events = metrics::get("events");  // one look-up a turn, for the trim and the rates
    if (events != trimmedAtEvents && now - lastTrimMs >= 1000 && allIdle()) {
      for (auto& root : roots_) {
        root->watcher->releaseBurstMemory();
        root->coalescer->releaseMemory();
      }
      ::malloc_trim(0);
      trimmedAtEvents = events;
      lastTrimMs = now;
    }
    log::flushSuppressed();  // a repeat summary is due at most a second after its window ends
    progress.tick(now, targets_);
    eventRates_.observe(now, static_cast<std::uint64_t>(events));
    if (!ready) {
      // Ready once every initial full sync is done, or has failed once and retries in the background:
      // a dead remote must not keep the others from being reported in service.
      bool tried = true;
      std::size_t retrying = 0;
      for (auto& t : targets_) {
        tried = tried && t->fullSyncTried();
        if (t->fullSyncActive()) ++retrying;
      }
      if (tried) {
        ready = true;
        ready_ = true;
        std::size_t fan = 0;
        for (auto& r : roots_) fan += std::string_view(r->watcher->backend()) == "fanotify";
        log::info("ready: watching ", dirs, " directories in ", roots_.size(), " roots, pushing to ", targets_.size(),
                  " targets", fan ? log::cat(" (", fan, " of the roots with fanotify, which needs no per-directory watch)")
                                  : std::string());
        if (retrying > 0) log::warn(retrying, " targets have not finished their full sync yet; it is being retried");
        if (observer_) observer_->onReady(*this, retrying);
      }
    }
    if (now >= nextReplay) {
      nextReplay = now + replayEveryMs;
      for (auto& t : targets_) t->replayFailLog();
    }
    if (config_.crontab.enabled && now >= nextCron) {
      nextCron = now + cronEveryMs;
      log::info("crontab: full sync of every root");
      for (auto& root : roots_) {
        // Before any event is coalesced again: a create+delete may now reach a target through the sync.
        root->coalescer->setPreciseDeletes(true);
        for (auto* t : root->targets) t->requestFullSync([this, r = root.get()] { return excludesFor(*r, true); });
      }
    }
  }
}

void Engine::journalTurn(std::int64_t now, std::int64_t readStartNs, std::int64_t* lastCheckpoint) {
  for (auto& root : roots_) {
    bool active = false;
    for (auto* t : root->targets) active = active || t->fullSyncActive();
    if (active && !root->fullSyncJournaled) {
      journal_->recordFullSync(root->conf.watch);
      root->fullSyncJournaled = true;
    }
  }
  journal_->flush(now);
  // Idle: everything read so far has reached every target or the fail log. The margin covers file
  // systems whose timestamps are coarser than ours, and clocks that step a little.
  if (journal_->dirty() && now - *lastCheckpoint >= 1000 && allIdle()) {
    journal_->checkpoint(readStartNs - kCheckpointMarginNs);
    *lastCheckpoint = now;
    for (auto& root : roots_) root->fullSyncJournaled = false;
    return;
  }
  // Busy for long (never idle): rewrite the journal as a checkpoint plus what is still pending, so it
  // stays as small as the queues instead of growing with every change ever made.
  constexpr std::size_t kCompactAfterRecords = 200000;
  constexpr std::int64_t kCompactEveryMs = 10000;
  if (journal_->recordsSinceCheckpoint() < kCompactAfterRecords || now - *lastCheckpoint < kCompactEveryMs) return;
  for (const auto& root : roots_)
    if (root->watcher->nextDeadline()) return;  // a rename's first half is held: in no queue yet
  std::vector<std::pair<std::string, std::string>> pending;
  std::vector<std::string> fullSyncRoots;
  for (auto& root : roots_) {
    std::vector<std::string> paths = root->coalescer->pendingPaths();
    for (auto* t : root->targets) t->pendingPaths(&paths);
    std::sort(paths.begin(), paths.end());
    paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
    for (auto& p : paths) pending.emplace_back(root->conf.watch, std::move(p));
    root->fullSyncJournaled = false;
    for (auto* t : root->targets) root->fullSyncJournaled = root->fullSyncJournaled || t->fullSyncActive();
    if (root->fullSyncJournaled) fullSyncRoots.push_back(root->conf.watch);
  }
  const std::size_t before = journal_->recordsSinceCheckpoint();
  journal_->checkpoint(readStartNs - kCheckpointMarginNs, pending, fullSyncRoots);
  *lastCheckpoint = now;
  log::debug("journal compacted while busy: ", before, " records -> ", pending.size(), " still pending");
}

bool Engine::allIdle() const {
  for (const auto& r : roots_) {
    if (r->coalescer->size() > 0 || r->watcher->nextDeadline()) return false;
    for (const auto* t : r->targets)
      if (!t->idle()) return false;
  }
  return true;
}

void Engine::shutdown() {
  life_.stopping = true;
  std::int64_t now = monoMs();
  const std::int64_t drainNs = wallNs();
  std::size_t pending = 0;
  for (auto& root : roots_) {
    // Drain what the kernel still holds, then everything the coalescer holds, ready or not.
    root->sink->setNow(now);
    root->watcher->readEvents(*root->sink, now);
    root->watcher->tick(*root->sink, now + 1000000);
    auto changes = root->coalescer->takeAll();
    pending += changes.size();
    enqueueEach(root->targets, std::move(changes));
  }
  for (auto& t : targets_) t->finish();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config_.tuning.shutdownSeconds);
  log::info(reloadRequested_ ? "reloading" : "stopping", ": delivering ", pending, " pending changes (at most ",
            config_.tuning.shutdownSeconds, " s)");
  for (;;) {
    bool allIdle = true;
    for (auto& t : targets_) allIdle = allIdle && t->idle();
    if (allIdle || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bool timedOut = false;
  for (auto& t : targets_) timedOut = timedOut || !t->idle();
  if (timedOut) {
    log::warn("shutdown time is up: ending transfers in flight; what is left goes to the fail log");
    life_.abort = true;
  }
  for (auto& t : targets_) t->join();
  // Every change read is now delivered or in the fail log: the next start checks only what came later.
  if (journal_) journal_->checkpoint(drainNs - kCheckpointMarginNs);
  log::info(reloadRequested_ ? "stopped for the reload" : "stopped");
}

}  // namespace fsrelay
