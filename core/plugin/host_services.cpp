// Host services handed to plugins; every entry point is noexcept, so nothing unwinds across the boundary.
#include "core/plugin/host_services.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/log/log.hpp"
#include "core/util/metrics.hpp"
#include "core/util/spawn.hpp"

namespace fsrelay {

void HostServices::log(sdk::LogLevel level, sdk::Bytes message) noexcept {
  try {
    auto lvl = static_cast<log::Level>(std::min<int>(static_cast<int>(level), 3));
    if (!log::enabled(lvl)) return;
    log::write(lvl, name_ + ": " + std::string(message.data, message.size));
  } catch (...) {
  }
}

namespace {

std::int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void runSpawn(const sdk::SpawnRequest& request, const Lifecycle& life, sdk::OutputSink sink, void* context,
              sdk::SpawnResult* result) noexcept {
  *result = sdk::SpawnResult{-1, 0, 0, 0, 0};
  try {
    std::vector<std::string> argv;
    for (const char* const* a = request.argv; a && *a; ++a) argv.emplace_back(*a);
    if (argv.empty()) {
      result->spawn_failed = 1;
      return;
    }
    SpawnOptions opts;
    opts.stdinData = std::string_view(request.stdin_data.data ? request.stdin_data.data : "", request.stdin_data.size);
    opts.cwd = request.cwd;
    opts.timeout = std::chrono::milliseconds(request.timeout_ms);
    opts.outputLimit = std::max<std::size_t>(request.output_capacity, 1024);
    opts.abort = &life.abort;
    for (const char* const* e = request.env; e && *e; ++e) opts.env.emplace_back(*e);
    if (sink) opts.onOutput = [sink, context](std::string_view chunk) { sink(context, sdk::Bytes{chunk.data(), chunk.size()}); };
    SpawnOutcome out = spawnProcess(argv, opts);
    result->exit_code = out.exitCode;
    result->term_signal = out.termSignal;
    result->timed_out = out.timedOut ? 1 : 0;
    result->spawn_failed = out.spawnFailed ? 1 : 0;
    if (request.output && request.output_capacity > 0) {
      // Keep the tail: rsync says why it failed at the end.
      std::size_t n = std::min(out.output.size(), request.output_capacity);
      std::memcpy(request.output, out.output.data() + out.output.size() - n, n);
      result->output_size = n;
    }
  } catch (...) {
    result->spawn_failed = 1;
  }
}

}  // namespace

void HostServices::spawn(const sdk::SpawnRequest& request, sdk::SpawnResult* result) noexcept {
  runSpawn(request, life_, nullptr, nullptr, result);
}

void HostServices::spawnStreaming(const sdk::SpawnRequest& request, sdk::OutputSink sink, void* context,
                                  sdk::SpawnResult* result) noexcept {
  runSpawn(request, life_, sink, context, result);
}

void HostServices::progress(const sdk::Progress& p) noexcept {
  try {
    progress_.update(ProgressCounts{p.files_done, p.files_total, p.bytes_done, p.bytes_total, p.totals_final != 0},
                     steadyMs());
  } catch (...) {
  }
}

void HostServices::count(const char* name, std::int64_t delta) noexcept {
  try {
    metrics::add(name, delta);
  } catch (...) {
  }
}

void HostServices::snapshot(sdk::SnapshotKind kind, sdk::SnapshotSink sink, void* context) noexcept {
  try {
    std::string doc;
    if (control_) doc = kind == sdk::SnapshotKind::MetricsText ? control_->metricsText() : control_->statusJson();
    sink(context, sdk::Bytes{doc.data(), doc.size()});
  } catch (...) {
  }
}

bool HostServices::requestFullSync(sdk::Bytes root, sdk::Bytes target, char* error, std::size_t errorCapacity) noexcept {
  std::string err = "this host takes no full sync requests";
  bool ok = false;
  try {
    if (control_)
      ok = control_->requestFullSync(std::string(root.data ? root.data : "", root.size),
                                     std::string(target.data ? target.data : "", target.size), &err);
  } catch (...) {
    err = "internal error";
  }
  if (!ok && error && errorCapacity > 0) std::snprintf(error, errorCapacity, "%s", err.c_str());
  return ok;
}

}  // namespace fsrelay
