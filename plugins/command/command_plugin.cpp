// The command plugin: runs a configured program (argv, no shell) for changed paths of one watched root.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fsrelay/plugin.hpp>
#include <fsrelay/plugin_kit.hpp>

#include "command_args.hpp"    // same folder: the plugin target has only the SDK on its include path
#include "command_format.hpp"

namespace fsrelay::command {
namespace {

using sdk::Bytes;
using sdk::KeyType;
using sdk::kit::bytes;
using sdk::kit::printable;
using sdk::kit::view;
using sdk::LogLevel;
using sdk::Status;

constexpr char kVersion[] = "0.1.0";
// Output kept per run (the host keeps the tail) and how much of it reaches the log.
constexpr std::size_t kOutputCapacity = 8 * 1024;
constexpr std::size_t kLoggedLines = 20;
constexpr std::size_t kLoggedLineBytes = 512;
// A run's argv in its log line: a batch of thousands of paths stays one short line.
constexpr std::size_t kLoggedArgvWords = 8;
constexpr std::size_t kLoggedArgvBytes = 1024;
constexpr std::int64_t kMaxConcurrency = 64;

const sdk::ConfigKey kKeys[] = {
    {"param.prefix", KeyType::String, nullptr,
     "program and words before the path, split like sh words without any expansion (no shell runs)", 0},
    {"param.suffix", KeyType::String, "", "words after the path, split the same way", 0},
    {"param.ignoreError", KeyType::Bool, "true",
     "true: a failing command is logged and counted only; false: the event is retried by the host", 0},
    {"param.timeout", KeyType::Int, "0", "seconds a run may take before it is killed; 0 = no limit", 0},
    {"param.concurrency", KeyType::Int, "1", "runs started at once for one batch (1..64)", 0},
    {"param.batch", KeyType::Bool, "false", "pass many paths to one run (extra argv elements)", 0},
    {"param.batchMax", KeyType::Int, "1000", "batch mode: at most this many paths per run", 0},
    {"param.placeholders", KeyType::Bool, "false",
     "substitute {op} {path} {relpath} {oldpath} {oldrelpath} {root} {isdir} in prefix/suffix words; "
     "the path is then not added by itself",
     0},
    {"param.deletes", KeyType::Bool, "true", "run the command for deleted paths too (FSRELAY_OP=delete)", 0},
    {"param.fullSync", KeyType::Bool, "false",
     "on a full sync (-r, inotify overflow) run the command once with the root (FSRELAY_OP=sync)", 0},
    {"filter.start", KeyType::Bool, "false", "run only for absolute paths an include expression fully matches", 0},
    {"filter.include.expression", KeyType::String, "", "ECMAScript regex matched against the absolute path", 1},
};

// True when argv[0] names something this process could execute (PATH searched when it has no '/').
bool programExists(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";
    if (::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) return false;
    dirs.remove_prefix(colon + 1);
  }
}

Status worse(Status a, Status b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

struct Settings {
  CommandSpec spec;
  IncludeFilter filter;
  bool ignoreError = true;
  bool fullSync = false;
  std::uint32_t timeoutMs = 0;
  std::size_t concurrency = 1;
};

// What came of one invocation.
struct RunResult {
  Status status = Status::Ok;
  std::string summary;  // "exit 3: last output line", for the report's message
};

class CommandInstance final : public sdk::Instance {
 public:
  CommandInstance(sdk::Host* host, std::string root, Settings settings)
      : host_(host), root_(std::move(root)), s_(std::move(settings)) {}

  Status deliver(const sdk::Batch& batch, sdk::Report& report) noexcept override {
    return sdk::kit::guardedDeliver(batch, report, host_, "command", "command_failures",
                                    [&] { return deliverBatch(batch, report); });
  }

  void destroy() noexcept override { delete this; }

 private:
  Status deliverBatch(const sdk::Batch& batch, sdk::Report& report) {
    std::string_view root = view(batch.root);
    if (root.empty()) root = root_;
    const std::string tag = "batch " + std::to_string(batch.id);

    if (batch.kind == sdk::BatchKind::FullSync) {
      if (!s_.fullSync) {
        log(LogLevel::Debug, tag + ": full sync: nothing to run (param.fullSync is false)");
        return Status::Ok;
      }
      const RunResult r = execute(planFullSync(s_.spec, root), tag + " full sync");
      if (r.status != Status::Ok) report.message(bytes(failureMessage(r, 1, 1)));
      return r.status;
    }
    if (batch.kind != sdk::BatchKind::Changes) {
      const std::string msg = "command: unknown batch kind " + std::to_string(static_cast<int>(batch.kind));
      report.message(bytes(msg));
      return Status::Fail;
    }

    const Plan plan = planChanges(s_.spec, s_.filter, root, batch.events, batch.event_count);
    for (std::size_t index : plan.rejected) {
      log(LogLevel::Error, tag + ": event " + std::to_string(index) +
                               " has an unsafe path (absolute, \"..\" or NUL); not run");
    }
    if (plan.filtered > 0) {
      log(LogLevel::Debug, tag + ": " + std::to_string(plan.filtered) + " of " +
                               std::to_string(batch.event_count) + " change(s) left out by the include filter");
      host_->count("command_filtered", static_cast<std::int64_t>(plan.filtered));
    }

    std::vector<RunResult> results(plan.runs.size());
    for (int phase : {0, 1}) {
      std::vector<std::size_t> ids;
      for (std::size_t k = 0; k < plan.runs.size(); ++k) {
        if (plan.runs[k].phase == phase) ids.push_back(k);
      }
      runAll(plan.runs, ids, results, tag);
    }

    // Per-event statuses: an event is as bad as the worst run it is in; unsafe paths are Fail.
    std::vector<Status> statuses(batch.event_count, Status::Ok);
    std::size_t bad = 0;
    std::size_t badRuns = 0;
    const RunResult* first = nullptr;
    for (std::size_t k = 0; k < plan.runs.size(); ++k) {
      const RunResult& r = results[k];
      if (r.status == Status::Ok) continue;
      ++badRuns;
      if (first == nullptr || static_cast<int>(r.status) > static_cast<int>(first->status)) first = &r;
      for (std::size_t i : plan.runs[k].events) statuses[i] = worse(statuses[i], r.status);
    }
    for (std::size_t i : plan.rejected) statuses[i] = Status::Fail;
    Status overall = Status::Ok;
    for (Status st : statuses) {
      if (st != Status::Ok) ++bad;
      overall = worse(overall, st);
    }
    // With ignoreError a failed run is Ok here; execute() has logged it at warn and counted it.
    if (overall == Status::Ok) return Status::Ok;
    for (std::size_t i = 0; i < statuses.size(); ++i) report.eventStatus(i, statuses[i]);
    std::string msg;
    if (first != nullptr) {
      msg = failureMessage(*first, badRuns, plan.runs.size());
    } else {
      msg = "command: " + std::to_string(plan.rejected.size()) + " event(s) with an unsafe path were not run";
    }
    if (!plan.rejected.empty() && first != nullptr) {
      msg += "; " + std::to_string(plan.rejected.size()) + " event(s) with an unsafe path were not run";
    }
    report.message(bytes(msg));
    log(LogLevel::Debug, tag + ": " + std::to_string(bad) + " of " + std::to_string(batch.event_count) +
                             " change(s) not done");
    return overall;
  }

  // "command PROGRAM failed [in N of M runs]: SUMMARY" (SUMMARY of the worst run).
  std::string failureMessage(const RunResult& r, std::size_t badRuns, std::size_t runs) const {
    std::string msg = "command " + printable(program()) + " failed";
    if (runs > 1) msg += " in " + std::to_string(badRuns) + " of " + std::to_string(runs) + " runs";
    msg += ": " + r.summary;
    return msg;
  }

  const std::string& program() const {
    static const std::string kNone = "(none)";
    return s_.spec.prefix.empty() ? kNone : s_.spec.prefix.front();
  }

  // Runs the given runs with up to concurrency children at once; results[k] for runs[k].
  void runAll(const std::vector<Invocation>& runs, const std::vector<std::size_t>& ids, std::vector<RunResult>& results,
              const std::string& tag) {
    if (ids.empty()) return;
    std::atomic<std::size_t> next{0};
    auto work = [&]() noexcept {
      for (std::size_t k = next++; k < ids.size(); k = next++) {
        const std::size_t id = ids[k];
        try {
          results[id] = execute(runs[id], tag);
        } catch (...) {
          results[id] = RunResult{Status::Retry, "internal error in the command plugin"};
        }
      }
    };
    std::vector<std::thread> helpers;
    const std::size_t extra = std::min(s_.concurrency, ids.size()) - 1;
    for (std::size_t t = 0; t < extra; ++t) {
      try {
        helpers.emplace_back(work);
      } catch (const std::exception&) {
        break;  // no thread: fewer children at once, the rest still run on this one
      }
    }
    work();
    for (std::thread& t : helpers) t.join();
  }

  // Starts one child and waits for it. Thread-safe: uses only its own buffers and the host's services.
  RunResult execute(const Invocation& run, const std::string& tag) {
    RunResult result;
    // After SIGTERM the host still flushes pending changes, so stopping() alone must not skip them; once
    // its deadline has passed, what did not start is left to the fail log for the next start.
    if (host_->aborting()) {
      result.status = Status::Retry;
      result.summary = "not run: fsrelay's shutdown deadline has passed";
      return result;
    }
    std::vector<const char*> argv;
    argv.reserve(run.argv.size() + 1);
    for (const std::string& w : run.argv) argv.push_back(w.c_str());
    argv.push_back(nullptr);
    std::vector<const char*> env;
    env.reserve(run.env.size() + 1);
    for (const std::string& e : run.env) env.push_back(e.c_str());
    env.push_back(nullptr);
    std::vector<char> output(kOutputCapacity);

    sdk::SpawnRequest request{};
    request.argv = argv.data();
    request.stdin_data = Bytes{nullptr, 0};
    request.cwd = nullptr;
    request.timeout_ms = s_.timeoutMs;
    request.output = output.data();
    request.output_capacity = output.size();
    request.env = env.data();
    sdk::SpawnResult spawned{};
    spawned.exit_code = -1;

    const auto start = std::chrono::steady_clock::now();
    host_->spawn(request, &spawned);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
                        .count();
    const std::string_view out(output.data(), std::min(spawned.output_size, output.size()));
    const Verdict v = classifyRun(spawned.exit_code, spawned.term_signal, spawned.timed_out != 0,
                                  spawned.spawn_failed != 0, s_.ignoreError);

    host_->count("command_runs", 1);
    host_->count("command_paths", static_cast<std::int64_t>(run.pathCount));
    if (v.failed) host_->count("command_failures", 1);
    if (spawned.timed_out != 0) host_->count("command_timeouts", 1);

    const std::string op = run.env.empty() ? std::string() : run.env.front().substr(std::strlen("FSRELAY_OP="));
    std::string line = tag + ": " + op + " " + std::to_string(run.pathCount) + " path(s): " +
                       sdk::kit::renderArgv(run.argv, kLoggedArgvWords, kLoggedArgvBytes) + ": " + v.meaning + ", " +
                       std::to_string(ms) + " ms";
    if (v.failed && v.status == Status::Ok) line += " (ignored: param.ignoreError is true)";
    log(v.failed ? LogLevel::Warn : LogLevel::Debug, line);

    bool truncated = false;
    const std::vector<std::string> lines = outputLines(out, kLoggedLines, kLoggedLineBytes, &truncated);
    const LogLevel outLevel = v.failed ? LogLevel::Warn : LogLevel::Info;
    if (truncated) log(outLevel, tag + " | (earlier output left out)");
    for (const std::string& l : lines) log(outLevel, tag + " | " + l);

    result.status = v.status;
    if (spawned.spawn_failed != 0) {
      result.summary = "program " + printable(run.argv.empty() ? std::string() : run.argv.front()) +
                       " could not be started";
    } else {
      result.summary = v.meaning;
      if (spawned.timed_out != 0) result.summary += " after " + std::to_string(s_.timeoutMs / 1000) + " s";
    }
    if (!lines.empty()) result.summary += ": " + lines.back();
    return result;
  }

  void log(LogLevel level, const std::string& line) { host_->log(level, bytes(line)); }

  sdk::Host* host_;
  std::string root_;
  Settings s_;
};

// Settings -> instance, or a reason. Everything that can be checked without running anything is.
sdk::Instance* createInstance(const sdk::CreateArgs& args, std::string* error) {
  const sdk::kit::Settings setting(args, kKeys);
  auto fail = [&](std::string why) -> sdk::Instance* {
    *error = std::move(why);
    return nullptr;
  };

  Settings s;
  std::string why;
  auto prefix = sdk::kit::splitWords(setting.text("param.prefix"), &why);
  if (!prefix) return fail("param.prefix: " + why);
  if (prefix->empty() || prefix->front().empty()) return fail("param.prefix must name a program");
  auto suffix = sdk::kit::splitWords(setting.text("param.suffix"), &why);
  if (!suffix) return fail("param.suffix: " + why);
  s.spec.prefix = std::move(*prefix);
  s.spec.suffix = std::move(*suffix);

  std::int64_t timeout = 0;
  std::int64_t concurrency = 1;
  std::int64_t batchMax = 1000;
  bool filterOn = false;
  if (!setting.boolean("param.ignoreError", &s.ignoreError, error) ||
      !setting.boolean("param.batch", &s.spec.batch, error) ||
      !setting.boolean("param.placeholders", &s.spec.placeholders, error) ||
      !setting.boolean("param.deletes", &s.spec.deletes, error) ||
      !setting.boolean("param.fullSync", &s.fullSync, error) || !setting.boolean("filter.start", &filterOn, error) ||
      !setting.integer("param.timeout", 0, UINT32_MAX / 1000, &timeout, error) ||
      !setting.integer("param.concurrency", 1, kMaxConcurrency, &concurrency, error) ||
      !setting.integer("param.batchMax", 1, 1000000, &batchMax, error)) {
    return nullptr;
  }
  s.timeoutMs = static_cast<std::uint32_t>(timeout * 1000);
  s.concurrency = static_cast<std::size_t>(concurrency);
  s.spec.batchMax = static_cast<std::size_t>(batchMax);
  if (s.spec.batch && s.spec.placeholders) {
    return fail("param.placeholders cannot be used with param.batch (a run has many paths; use FSRELAY_* "
                "variables or the paths in argv)");
  }

  std::vector<std::string> expressions;
  for (std::string_view e : setting.all("filter.include.expression")) {
    if (!e.empty()) expressions.emplace_back(e);
  }
  auto filter = IncludeFilter::compile(filterOn, expressions, &why);
  if (!filter) return fail(why);
  s.filter = std::move(*filter);

  std::string root(view(args.root));
  if (root.empty() || root.front() != '/') return fail("the instance has no absolute root: \"" + root + "\"");
  while (root.size() > 1 && root.back() == '/') root.pop_back();

  sdk::Host* host = args.host;
  if (!s.spec.placeholders && !programExists(s.spec.prefix.front())) {
    // Only a warning: the program may be installed after fsrelay starts. Each run that cannot start it
    // fails with the program's name.
    const std::string warn = "param.prefix: program " + printable(s.spec.prefix.front()) +
                             " is not an executable file (or not found in PATH); runs will fail until it is";
    host->log(LogLevel::Warn, bytes(warn));
  }
  return new CommandInstance(host, root, std::move(s));
}

sdk::Instance* create(const sdk::CreateArgs* args) noexcept {
  return sdk::kit::guardedCreate(args, "command", createInstance);
}

const sdk::PluginDescriptor kDescriptor = {
    FSRELAY_SDK_API_MAJOR,
    FSRELAY_SDK_API_MINOR,
    FSRELAY_SDK_ABI_TAG,
    "command",
    kVersion,
    "run a program (argv, no shell) for changed paths, per event or in batches; FSRELAY_OP says what changed",
    kKeys,
    sizeof kKeys / sizeof kKeys[0],
    &create,
    nullptr,  // one instance per watched root
};

}  // namespace

const sdk::PluginDescriptor* commandDescriptor() { return &kDescriptor; }

}  // namespace fsrelay::command

FSRELAY_PLUGIN(fsrelay::command::commandDescriptor)
