// The rsync push plugin: one Instance pushes one watched root to one remote, one rsync run per batch.
#include <unistd.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fsrelay/plugin.hpp>
#include <fsrelay/plugin_kit.hpp>

#include "rsync_args.hpp"  // same folder: the plugin target has only the SDK on its include path
#include "rsync_sweep.hpp"
#include "rsync_progress_format.hpp"

namespace fsrelay::rsync {
namespace {

using sdk::KeyType;
using sdk::kit::bytes;
using sdk::kit::view;
using sdk::LogLevel;
using sdk::Status;

constexpr char kVersion[] = "0.1.0";
// rsync's output (stdout and stderr merged) kept per run: enough for the error lines at the end of a run
// with -q. The host fills it from the start; see failureMessage for how it is read.
constexpr std::size_t kOutputCapacity = 16 * 1024;

const sdk::ConfigKey kKeys[] = {
    {"root", KeyType::Path, nullptr, "absolute path of the watched root to push"},
    {"remote_ip", KeyType::String, nullptr, "host name or address of the receiver"},
    {"remote_name", KeyType::String, nullptr,
     "rsync daemon module (optionally module/subdir), or the remote path with ssh"},
    {"params", KeyType::String, "-artuz",
     "sersync's commonParams: rsync options, split like sh words without any expansion"},
    {"auth_users", KeyType::String, "", "user name: USER@host::module (daemon) or USER@host (ssh)"},
    {"password_file", KeyType::Path, "", "daemon mode: --password-file; must not be accessible by others"},
    {"port", KeyType::Int, "", "daemon: --port=N; ssh: -e \"ssh -p N\"; empty = default"},
    {"timeout", KeyType::Int, "", "rsync --timeout=N in seconds (I/O inactivity); empty = none"},
    {"ssh", KeyType::Bool, "false", "push over ssh (-e ssh, host:path) instead of to an rsync daemon"},
    {"delete", KeyType::Bool, "true", "propagate deletions to the target"},
    {"rsync_path", KeyType::Path, "rsync", "the rsync client binary (looked up in PATH)"},
    {"debug", KeyType::Bool, "false", "log every argv and rsync's output at info level"},
    {"transfer_timeout_ms", KeyType::Int, "0", "kill an rsync run after this long; 0 = never"},
    {"fast_handshake", KeyType::Bool, "true",
     "change batches to a daemon use rsync protocol 29, which avoids a 40 ms stall per session "
     "(not with ACLs or xattrs in params)"},
};

// For one batch: which directories above its paths are directories on the source now (lstat, each looked
// at once). See buildChangeList for why a path below a symlink or file is left out.
class SourceDirs {
 public:
  explicit SourceDirs(std::string_view root) : root_(root) {}

  bool belowNonDirectory(std::string_view path) {
    const std::size_t last = path.rfind('/');
    if (last == std::string_view::npos) return false;
    if (auto parent = known_.find(std::string(path.substr(0, last))); parent != known_.end() && parent->second)
      return false;  // a directory, and so is everything above it (it was looked at from the top down)
    for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
      std::string dir(path.substr(0, slash));
      auto it = known_.find(dir);
      if (it == known_.end()) {
        struct stat st {};
        const std::string abs = root_ + "/" + dir;
        if (::lstat(abs.c_str(), &st) != 0) return errno == ENOTDIR;  // missing: so is all below, a deletion
        it = known_.emplace(std::move(dir), S_ISDIR(st.st_mode)).first;
      }
      if (!it->second) return true;
    }
    return false;
  }

 private:
  std::string root_;
  std::unordered_map<std::string, bool> known_;  // relative directory -> is a directory
};

class RsyncInstance final : public sdk::Instance {
 public:
  RsyncInstance(sdk::Host* host, std::string name, std::string root, Remote remote, bool debug,
                std::uint32_t transferTimeoutMs, bool hostTakesProgress)
      : host_(host),
        name_(std::move(name)),
        root_(std::move(root)),
        remote_(std::move(remote)),
        target_(targetString(remote_)),
        debug_(debug),
        transferTimeoutMs_(transferTimeoutMs),
        progress_(hostTakesProgress) {}

  Status deliver(const sdk::Batch& batch, sdk::Report& report) noexcept override {
    return sdk::kit::guardedDeliver(batch, report, host_, "rsync", "rsync_failures",
                                    [&] { return deliverBatch(batch, report); });
  }

  void destroy() noexcept override { delete this; }

 private:
  struct Run {
    Status status = Status::Ok;
    std::string message;  // set when status is not Ok
    int exitCode = 0;
  };

  Status deliverBatch(const sdk::Batch& batch, sdk::Report& report) {
    // The batch's root is what its paths are relative to; it equals ours unless the host is broken.
    std::string_view root = view(batch.root);
    if (root.empty()) root = root_;

    if (batch.kind == sdk::BatchKind::FullSync) {
      const std::string payload = excludePayload(batch.excludes, batch.exclude_count);
      const Run run = runRsync(batch.id, "full sync", fullSyncArgv(remote_, root, progress_), payload,
                               batch.exclude_count, Listed::ExcludeRules, progress_);
      if (run.status == Status::Ok) {
        defaultProtocolUntilOk_ = false;
        // Its --delete removed any temp file a cut-off run left (unless an exclude of the user's hides it).
        if (remote_.propagateDeletes) sweep_.clear();
        sweepIfPending(batch.id, root);
      } else {
        sweep_.noteFailedFullSync();
      }
      return finish(run, report);
    }
    if (batch.kind != sdk::BatchKind::Changes) {
      const Run run{Status::Fail, "rsync: unknown batch kind " + std::to_string(static_cast<int>(batch.kind))};
      return finish(run, report);
    }

    SourceDirs dirs(root);
    const ChangeList list = buildChangeList(batch.events, batch.event_count, remote_.propagateDeletes,
                                            [&](std::string_view p) { return dirs.belowNonDirectory(p); });
    for (std::size_t index : list.rejected) {
      log(LogLevel::Error, "batch " + std::to_string(batch.id) + ": event " + std::to_string(index) +
                               " has an unsafe path (absolute, \"..\" or NUL); not sent");
    }
    if (list.leftOut > 0) {
      log(debug_ ? LogLevel::Info : LogLevel::Debug,
          "batch " + std::to_string(batch.id) + ": " + std::to_string(list.leftOut) +
              " path(s) below a symlink or file left out (its own change replaces the old directory)");
    }
    Run run;
    if (list.pathCount > 0) {
      Remote remote = remote_;
      if (defaultProtocolUntilOk_) remote.fastHandshake = false;
      std::vector<std::string> argv = changesArgv(remote, root, list);
      run = runRsync(batch.id, "changes", argv, list.payload, list.pathCount, Listed::Paths);
      const bool fast = std::find(argv.begin(), argv.end(), "--protocol=29") != argv.end();
      const ProtocolFallback fallback = fast ? protocolFallback(run.exitCode) : ProtocolFallback{};
      if (fallback.defaultUntilOk) defaultProtocolUntilOk_ = true;
      if (fallback.rerunNow) {
        remote.fastHandshake = false;
        run = runRsync(batch.id, "changes (default protocol)", changesArgv(remote, root, list), list.payload,
                       list.pathCount, Listed::Paths);
      }
      if (run.status == Status::Ok) {
        defaultProtocolUntilOk_ = false;
        sweepIfPending(batch.id, root);
      } else {
        sweep_.noteFailedChanges(list.payload);
      }
    }
    if (!list.rejected.empty()) {
      // Per-event statuses, so the host fail-logs only the broken events and handles the rest as usual.
      std::size_t next = 0;
      for (std::size_t i = 0; i < batch.event_count; ++i) {
        const bool bad = next < list.rejected.size() && list.rejected[next] == i;
        if (bad) ++next;
        report.eventStatus(i, bad ? Status::Fail : run.status);
      }
      if (run.status == Status::Ok) {
        run.message = "rsync to " + target_ + ": " + std::to_string(list.rejected.size()) +
                      " event(s) with an unsafe path were not sent";
      }
    }
    return finish(run, report);
  }

  // After a failed run, once the target takes a run again: remove the temp files a receiver killed
  // mid-file may have left (rsync_sweep.hpp). A failed sweep stays pending for the next success; it never
  // fails the batch, whose own transfer went through.
  void sweepIfPending(std::uint64_t batchId, std::string_view root) {
    if (!sweep_.pending()) return;
    const Run run = runRsync(batchId, sweep_.wholeTree() ? "temp-file sweep (whole tree)" : "temp-file sweep",
                             sweepArgv(remote_, root, sweep_.wholeTree(), sweep_.rules()), sweep_.payload(),
                             sweep_.dirCount(), Listed::Dirs);
    if (run.status == Status::Ok) sweep_.clear();
  }

  // count is what stdin lists: paths (Changes) or exclude rules (FullSync, not counted as paths).
  // progress: stream the output through a ProgressParser and report it to the host (full syncs, host 1.1+).
  enum class Listed { Paths, ExcludeRules, Dirs };
  Run runRsync(std::uint64_t batchId, const char* what, const std::vector<std::string>& words,
               const std::string& payload, std::size_t count, Listed listed, bool progress = false) {
    const bool paths = listed == Listed::Paths;
    const std::string counted = std::to_string(count) + (paths                            ? " path(s)"
                                                         : listed == Listed::ExcludeRules ? " exclude rule(s)"
                                                                                          : " dir(s)");
    std::vector<const char*> argv;
    argv.reserve(words.size() + 1);
    for (const std::string& w : words) argv.push_back(w.c_str());
    argv.push_back(nullptr);

    const std::string prefix = "batch " + std::to_string(batchId) + " " + what;
    log(debug_ ? LogLevel::Info : LogLevel::Debug,
        prefix + ": " + counted + ": " + sdk::kit::renderArgv(words));

    sdk::SpawnRequest request{};
    request.argv = argv.data();
    request.stdin_data = bytes(payload);
    request.cwd = nullptr;
    request.timeout_ms = transferTimeoutMs_;
    request.output = output_.data();
    request.output_capacity = output_.size();
    sdk::SpawnResult result{};
    result.exit_code = -1;

    const auto start = std::chrono::steady_clock::now();
    ProgressStream stream{host_, ProgressParser(output_.size()), {}};
    if (progress) {
      host_->spawnStreaming(request, &ProgressStream::onOutput, &stream, &result);
      stream.parser.finish();
      stream.report(true);
    } else {
      host_->spawn(request, &result);
    }
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();

    // With progress the redraws would fill the tail: the parser kept the other lines apart.
    const std::string_view output = progress ? std::string_view(stream.parser.otherOutput())
                                             : std::string_view(output_.data(), std::min(result.output_size, output_.size()));
    const Verdict verdict = classifyExit(result.exit_code, result.term_signal, result.timed_out != 0,
                                         result.spawn_failed != 0);
    host_->count("rsync_runs", 1);
    if (paths) host_->count("rsync_paths", static_cast<std::int64_t>(count));
    if (verdict.status != Status::Ok) host_->count("rsync_failures", 1);

    // Success is Debug: the host logs each transfer (and a full sync's progress) itself.
    log(verdict.status == Status::Ok ? (debug_ ? LogLevel::Info : LogLevel::Debug) : LogLevel::Warn,
        prefix + ": " + counted + ", " + std::to_string(ms) + " ms, " + verdict.meaning);
    if (debug_) logOutput(prefix, output);

    Run run;
    run.status = verdict.status;
    run.exitCode = result.exit_code;
    if (run.status != Status::Ok) run.message = failureMessage(target_, verdict, output);
    return run;
  }

  // The sink of a streaming run: parses rsync's progress2 redraws and passes them on, at most every
  // kReportEveryMs (rsync redraws after every file).
  struct ProgressStream {
    static constexpr std::int64_t kReportEveryMs = 200;
    sdk::Host* host;
    ProgressParser parser;
    std::chrono::steady_clock::time_point lastReport;

    // Called by the host: nothing may unwind into it.
    static void onOutput(void* context, sdk::Bytes chunk) noexcept {
      auto* self = static_cast<ProgressStream*>(context);
      try {
        if (self->parser.feed(view(chunk))) self->report(false);
      } catch (...) {
      }
    }
    void report(bool force) {
      if (!parser.seen()) return;
      const auto now = std::chrono::steady_clock::now();
      if (!force && now - lastReport < std::chrono::milliseconds(kReportEveryMs)) return;
      lastReport = now;
      const ProgressLine& p = parser.latest();
      const sdk::Progress out{p.filesDone, p.filesTotal, p.bytes, estimatedTotalBytes(p),
                              static_cast<std::uint8_t>(p.totalsFinal ? 1 : 0)};
      host->progress(out);
    }
  };

  static Status finish(const Run& run, sdk::Report& report) {
    if (!run.message.empty()) report.message(bytes(run.message));
    return run.status;
  }

  void log(LogLevel level, const std::string& line) { host_->log(level, bytes(line)); }

  // debug: rsync's output line by line (what sersync's debug mode let through), at most the last 50 lines.
  void logOutput(const std::string& prefix, std::string_view output) {
    std::vector<std::string_view> lines;
    while (!output.empty()) {
      const std::size_t nl = output.find('\n');
      lines.push_back(output.substr(0, nl));
      output.remove_prefix(nl == std::string_view::npos ? output.size() : nl + 1);
    }
    const std::size_t first = lines.size() > 50 ? lines.size() - 50 : 0;
    for (std::size_t i = first; i < lines.size(); ++i) {
      const std::string line = outputTail(lines[i], 1, 4096);
      if (!line.empty()) log(LogLevel::Info, prefix + " | " + line);
    }
  }

  sdk::Host* host_;
  std::string name_;
  std::string root_;
  Remote remote_;
  std::string target_;
  bool debug_;
  std::uint32_t transferTimeoutMs_;
  bool progress_;  // the host has Host::progress and spawnStreaming (API 1.1): full syncs report progress
  std::array<char, kOutputCapacity> output_{};  // deliver() never runs concurrently on one instance
  // Set when a protocol-29 run ended in 12 (see protocolFallback): change runs speak the default protocol
  // until a run succeeds, so retries against a full disk take 0.2 s each instead of 30.
  bool defaultProtocolUntilOk_ = false;
  TempSweep sweep_;  // directories a failed run may have left rsync temp files in
};

// Settings -> instance, or a reason. All checks that need no network happen here, once, at startup.
sdk::Instance* createInstance(const sdk::CreateArgs& args, std::string* error) {
  const sdk::kit::Settings s(args, kKeys);
  auto fail = [&](std::string why) -> sdk::Instance* {
    *error = std::move(why);
    return nullptr;
  };
  for (const char* key : {"root", "remote_ip", "remote_name"}) {
    if (s.text(key).empty()) return fail(std::string(key) + " is required");
  }

  Remote remote;
  const std::string root(s.text("root"));
  if (root.front() != '/') return fail("root must be an absolute path: " + root);
  remote.ip = std::string(s.text("remote_ip"));
  remote.name = std::string(s.text("remote_name"));
  remote.user = std::string(s.text("auth_users"));
  remote.rsyncPath = std::string(s.text("rsync_path"));
  if (remote.rsyncPath.empty()) return fail("rsync_path must not be empty");
  // A path (not a name looked up in PATH) is checked now, so --check finds a typo, not the first transfer.
  if (remote.rsyncPath.find('/') != std::string::npos && ::access(remote.rsyncPath.c_str(), X_OK) != 0)
    return fail("rsync_path " + remote.rsyncPath + " is not an executable file");
  if (remote.ip.find_first_of(" \t\n/@") != std::string::npos) return fail("remote_ip is not a host: " + remote.ip);
  if (remote.user.find_first_of(" \t\n:@/") != std::string::npos) {
    return fail("auth_users must be one user name: " + remote.user);
  }

  std::string why;
  auto params = sdk::kit::splitWords(s.text("params"), &why);
  if (!params) return fail("params: " + why);
  remote.params = std::move(*params);
  const std::string ruleFile = ruleFileOption(remote.params);
  if (!ruleFile.empty()) {
    return fail("params: " + ruleFile +
                " cannot be used: fsrelay passes --from0 (file names may contain newlines), which makes rsync "
                "read rule files NUL-separated; put the rules in the <filter> section or as --exclude=PATTERN");
  }

  bool debug = false;
  std::int64_t transferTimeout = 0;
  if (!s.boolean("ssh", &remote.ssh, error) || !s.boolean("delete", &remote.propagateDeletes, error) ||
      !s.boolean("debug", &debug, error) || !s.boolean("fast_handshake", &remote.fastHandshake, error) ||
      !s.integer("port", 1, 65535, &remote.port, error) ||
      !s.integer("timeout", 0, 86400 * 365, &remote.timeoutS, error) ||
      !s.integer("transfer_timeout_ms", 0, UINT32_MAX, &transferTimeout, error)) {
    return nullptr;
  }
  remote.quiet = !debug;

  const std::string passwordFile(s.text("password_file"));
  sdk::Host* host = args.host;
  const std::string name(view(args.instance_name));
  if (!passwordFile.empty()) {
    if (remote.ssh) {
      // rsync never hands a password to a remote shell; say so rather than silently ignoring it.
      const std::string warn = name + ": password_file is ignored with ssh (use ssh keys)";
      host->log(LogLevel::Warn, bytes(warn));
    } else {
      struct stat st {};
      if (::stat(passwordFile.c_str(), &st) != 0) {
        return fail("password_file " + passwordFile + ": " + std::strerror(errno));
      }
      // rsync itself refuses an other-accessible password file, but only when a run starts; refusing it
      // here reports the problem once, at startup, with the key's name.
      if ((st.st_mode & S_IRWXO) != 0) {
        return fail("password_file " + passwordFile + " must not be accessible by others (chmod 600)");
      }
      remote.passwordFile = passwordFile;
    }
  }
  if (remote.ssh && remote.port && paramsSetRemoteShell(remote.params)) {
    const std::string warn = name + ": port is ignored because params choose the remote shell (-e)";
    host->log(LogLevel::Warn, bytes(warn));
  }

  // spawnStreaming and progress are API 1.1: an older host's vtable has no such entries.
  return new RsyncInstance(host, name, root, std::move(remote), debug, static_cast<std::uint32_t>(transferTimeout),
                           args.host_api_minor >= 1);
}

sdk::Instance* create(const sdk::CreateArgs* args) noexcept {
  return sdk::kit::guardedCreate(args, "rsync", createInstance);
}

const sdk::PluginDescriptor kDescriptor = {
    FSRELAY_SDK_API_MAJOR,
    FSRELAY_SDK_API_MINOR,
    FSRELAY_SDK_ABI_TAG,
    "rsync",
    kVersion,
    "push changed paths to an rsync daemon or over ssh, one rsync run per batch",
    kKeys,
    sizeof kKeys / sizeof kKeys[0],
    &create,
    nullptr,  // one instance per root and remote: the host builds them from <sersync><localpath><remote>
};

}  // namespace

const sdk::PluginDescriptor* rsyncDescriptor() { return &kDescriptor; }

}  // namespace fsrelay::rsync

FSRELAY_PLUGIN(fsrelay::rsync::rsyncDescriptor)
