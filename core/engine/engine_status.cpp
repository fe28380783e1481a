// The daemon's state for plugins: status JSON, Prometheus metrics, and full syncs asked for from outside.
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <string>

#include <fsrelay/json_text.hpp>

#include "core/engine/engine.hpp"
#include "core/engine/engine_root.hpp"
#include "core/log/log.hpp"
#include "core/util/metrics.hpp"
#include "core/util/version_info.hpp"

namespace fsrelay {
namespace {

namespace json = sdk::json;

void field(std::string& out, const char* key, std::int64_t v, bool comma = true) {
  if (comma) out.push_back(',');
  json::appendString(out, key);
  out += ":" + std::to_string(v);
}

// A Prometheus label value: backslash, quote and newline escaped; bytes that are not UTF-8 become U+FFFD.
std::string labelValue(std::string_view v) {
  std::string quoted;
  json::appendString(quoted, v);  // JSON escaping is a superset for \ " and \n; undo the others below
  std::string out;
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    char c = quoted[i];
    if (c == '\\' && quoted[i + 1] != '\\' && quoted[i + 1] != '"' && quoted[i + 1] != 'n') {
      out.push_back('_');  // other control characters: \r \t \u00XX have no place in a label
      i += quoted[i + 1] == 'u' ? 5 : 1;
      continue;
    }
    out.push_back(c);
    if (c == '\\') out.push_back(quoted[++i]);
  }
  return out;
}

std::string metricName(const std::string& counter) {
  std::string out;
  for (char c : counter) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

struct MetricWriter {
  std::string out;
  void family(const std::string& name, const char* type, const char* help) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string& name, const std::string& labels, std::int64_t value) {
    out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(value) + "\n";
  }
};

std::int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void appendSeries(std::string& out, const char* key, const std::vector<std::uint64_t>& series) {
  json::appendString(out, key);
  out += ":[";
  for (std::size_t i = 0; i < series.size(); ++i) out += (i ? "," : "") + std::to_string(series[i]);
  out += "]";
}

// A running full sync's progress as its plugin reported it (counts are 0 until it reports).
void appendProgress(std::string& out, const ProgressView& v) {
  out += ",\"progress\":{\"reported\":";
  out += v.reported ? "true" : "false";
  field(out, "files_done", static_cast<std::int64_t>(v.counts.filesDone));
  field(out, "files_total", static_cast<std::int64_t>(v.counts.filesTotal));
  field(out, "bytes_done", static_cast<std::int64_t>(v.counts.bytesDone));
  field(out, "bytes_total", static_cast<std::int64_t>(v.counts.bytesTotal));
  out += std::string(",\"totals_final\":") + (v.counts.totalsFinal ? "true" : "false");
  field(out, "percent", v.percent);
  field(out, "bytes_per_second", static_cast<std::int64_t>(v.bytesPerSecond));
  field(out, "files_per_second", static_cast<std::int64_t>(v.filesPerSecond));
  field(out, "elapsed_s", v.elapsedMs / 1000);
  out += ",\"eta_s\":" + (v.etaMs >= 0 ? std::to_string((v.etaMs + 500) / 1000) : std::string("null"));
  out += "}";
}

}  // namespace

std::string Engine::statusJson() const {
  std::shared_lock lock(controlMutex_);
  if (closing_) return "{\"stopping\":true}";
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  const std::int64_t nowMs = steadyMs();
  std::string out = "{";
  json::appendString(out, "version");
  out += ":";
  json::appendString(out, FSRELAY_VERSION);
  field(out, "pid", ::getpid());
  field(out, "uptime_s", uptime);
  out += ",\"ready\":";
  out += ready_ ? "true" : "false";
  out += ",\"roots\":[";
  for (std::size_t i = 0; i < roots_.size(); ++i) {
    out += i ? ",{" : "{";
    json::appendPath(out, "path", roots_[i]->conf.watch);
    // Which backend watches it, and why auto did not pick fanotify (empty when it did, or was not asked).
    out += ",\"watcher\":";
    json::appendString(out, roots_[i]->watcher ? roots_[i]->watcher->backend() : "none");
    out += ",\"watcher_note\":";
    json::appendString(out, roots_[i]->watcherNote);
    field(out, "watches", static_cast<std::int64_t>(roots_[i]->watches.load()));
    field(out, "targets", static_cast<std::int64_t>(roots_[i]->targets.size()));
    {
      std::lock_guard ulock(roots_[i]->unwatchedMutex);
      // Directories the watch limit left unwatched, scanned every <watchLimit scanSeconds> instead.
      field(out, "unwatched_count", static_cast<std::int64_t>(roots_[i]->unwatchedCount));
      out += ",\"unwatched\":[";
      for (std::size_t u = 0; u < roots_[i]->unwatched.size(); ++u) {
        if (u) out += ",";
        json::appendString(out, roots_[i]->unwatched[u]);  // lossy for non-UTF-8 names: a hint, not a key
      }
      out += "]";
    }
    out += "}";
  }
  out += "],\"targets\":[";
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    const Target& t = *targets_[i];
    TargetStats s = t.stats();
    out += i ? ",{" : "{";
    json::appendPath(out, "name", t.name());
    out += ",\"plugin\":";
    json::appendString(out, t.plugin());
    out += ",";
    json::appendPath(out, "root", t.root());
    field(out, "queued", static_cast<std::int64_t>(s.queued));
    out += std::string(",\"in_flight\":") + (s.inFlight ? "true" : "false");
    out += ",\"full_sync\":";
    json::appendString(out, s.fullSync);
    field(out, "delivered", static_cast<std::int64_t>(s.delivered));
    field(out, "batches", static_cast<std::int64_t>(s.batches));
    field(out, "retries", static_cast<std::int64_t>(s.retries));
    field(out, "failed", static_cast<std::int64_t>(s.failed));
    field(out, "exceptions", static_cast<std::int64_t>(s.exceptions));
    field(out, "last_ok_unix", s.lastOkUnix);
    out += ",\"last_error\":";
    json::appendString(out, s.lastError);
    field(out, "last_error_unix", s.lastErrorUnix);
    field(out, "fail_log_entries", static_cast<std::int64_t>(failLog_->sizeFor(t.name())));
    if (const ProgressView v = t.progress().view(nowMs); v.running) appendProgress(out, v);
    out += ",\"rates\":{";
    field(out, "bucket_s", t.deliveredHistory().bucketMs() / 1000, false);
    out += ",";
    appendSeries(out, "delivered", t.deliveredHistory().series(nowMs));
    out += "}}";
  }
  out += "],\"event_rates\":{";
  field(out, "bucket_s", eventRates_.bucketMs() / 1000, false);
  out += ",";
  appendSeries(out, "events", eventRates_.series(nowMs));
  out += "},\"fail_log\":{";
  json::appendPath(out, "path", failLog_->path());
  field(out, "entries", static_cast<std::int64_t>(failLog_->size()));
  out += "},\"counters\":{";
  bool first = true;
  for (const auto& [name, value] : metrics::snapshot()) {
    field(out, metricName(name).c_str(), value, !first);
    first = false;
  }
  out += "}}";
  return out;
}

std::string Engine::metricsText() const {
  std::shared_lock lock(controlMutex_);
  if (closing_) return "";
  MetricWriter m;
  m.family("fsrelay_info", "gauge", "Version of the running fsrelay (always 1).");
  m.sample("fsrelay_info", "version=\"" + labelValue(FSRELAY_VERSION) + "\",commit=\"" + labelValue(FSRELAY_GIT_COMMIT) + "\"",
           1);
  m.family("fsrelay_uptime_seconds", "gauge", "Seconds since the daemon started.");
  m.sample("fsrelay_uptime_seconds", "",
           std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count());
  m.family("fsrelay_ready", "gauge", "1 once every watch is in place and the initial full syncs were tried.");
  m.sample("fsrelay_ready", "", ready_ ? 1 : 0);
  m.family("fsrelay_root_watched_directories", "gauge", "Directories watched under each root.");
  for (const auto& r : roots_)
    m.sample("fsrelay_root_watched_directories", "root=\"" + labelValue(r->conf.watch) + "\"",
             static_cast<std::int64_t>(r->watches.load()));

  std::vector<std::pair<std::string, TargetStats>> stats;
  for (const auto& t : targets_)
    stats.emplace_back("target=\"" + labelValue(t->name()) + "\",plugin=\"" + labelValue(t->plugin()) + "\",root=\"" +
                           labelValue(t->root()) + "\"",
                       t->stats());
  auto perTarget = [&](const std::string& name, const char* type, const char* help, auto value) {
    m.family(name, type, help);
    for (const auto& [labels, s] : stats) m.sample(name, labels, static_cast<std::int64_t>(value(s)));
  };
  perTarget("fsrelay_target_queued_changes", "gauge", "Changes waiting for delivery.", [](const TargetStats& s) { return s.queued; });
  perTarget("fsrelay_target_in_flight", "gauge", "1 while a delivery runs.", [](const TargetStats& s) { return s.inFlight; });
  perTarget("fsrelay_target_full_sync_running", "gauge", "1 while a full sync runs.",
            [](const TargetStats& s) { return std::string(s.fullSync) == "running"; });
  perTarget("fsrelay_target_delivered_changes_total", "counter", "Changes delivered.", [](const TargetStats& s) { return s.delivered; });
  perTarget("fsrelay_target_deliveries_total", "counter", "Deliveries that succeeded.", [](const TargetStats& s) { return s.batches; });
  perTarget("fsrelay_target_failed_deliveries_total", "counter", "Deliveries that failed and were retried.",
            [](const TargetStats& s) { return s.retries; });
  perTarget("fsrelay_target_fail_log_changes_total", "counter", "Changes written to the fail log after every retry.",
            [](const TargetStats& s) { return s.failed; });
  perTarget("fsrelay_target_plugin_exceptions_total", "counter", "Deliveries in which the plugin threw.",
            [](const TargetStats& s) { return s.exceptions; });
  // A running full sync's progress (0 when none runs, or its plugin reports none).
  std::vector<ProgressView> views;
  for (const auto& t : targets_) {
    ProgressView v = t->progress().view(steadyMs());
    if (!v.running) v = ProgressView{};
    views.push_back(v);
  }
  auto perSync = [&](const std::string& name, const char* help, auto value) {
    m.family(name, "gauge", help);
    for (std::size_t i = 0; i < stats.size(); ++i) m.sample(name, stats[i].first, static_cast<std::int64_t>(value(views[i])));
  };
  perSync("fsrelay_target_full_sync_files_done", "Files the running full sync has checked.",
          [](const ProgressView& v) { return v.counts.filesDone; });
  perSync("fsrelay_target_full_sync_files_listed", "Files the running full sync has listed so far.",
          [](const ProgressView& v) { return v.counts.filesTotal; });
  perSync("fsrelay_target_full_sync_bytes_done", "Bytes the running full sync has sent.",
          [](const ProgressView& v) { return v.counts.bytesDone; });
  perSync("fsrelay_target_full_sync_bytes_listed", "Size of what the running full sync has listed (an estimate).",
          [](const ProgressView& v) { return v.counts.bytesTotal; });
  perSync("fsrelay_target_full_sync_bytes_per_second", "Send rate of the running full sync over the last 20 s.",
          [](const ProgressView& v) { return v.bytesPerSecond; });
  perSync("fsrelay_target_full_sync_eta_seconds", "Estimated seconds left of the running full sync; -1 unknown.",
          [](const ProgressView& v) { return v.running && v.etaMs >= 0 ? (v.etaMs + 500) / 1000 : -1; });
  perTarget("fsrelay_target_last_success_timestamp_seconds", "gauge", "Unix time of the last successful delivery.",
            [](const TargetStats& s) { return s.lastOkUnix; });
  m.family("fsrelay_fail_log_entries", "gauge", "Entries in the fail log, waiting for replay.");
  m.sample("fsrelay_fail_log_entries", "", static_cast<std::int64_t>(failLog_->size()));
  for (const auto& [name, value] : metrics::snapshot()) {
    std::string metric = "fsrelay_" + metricName(name) + "_total";
    m.family(metric, "counter", ("Count of " + metricName(name) + " since start.").c_str());
    m.sample(metric, "", value);
  }
  return m.out;
}

bool Engine::requestFullSync(const std::string& rootArg, const std::string& target, std::string* error) {
  std::shared_lock lock(controlMutex_);
  if (closing_) {
    *error = "fsrelay is stopping";
    return false;
  }
  std::string root = rootArg;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::size_t matched = 0;
  bool rootFound = root.empty();
  for (const auto& r : roots_) {
    if (!root.empty() && r->conf.watch != root) continue;
    rootFound = true;
    for (Target* t : r->targets) {
      if (!target.empty() && t->name().find(target) == std::string::npos) continue;
      t->requestFullSync();
      ++matched;
    }
  }
  if (matched == 0) {
    if (!rootFound) {
      std::string watched;
      for (const auto& r : roots_) watched += (watched.empty() ? "" : ", ") + r->conf.watch;
      *error = "no watched root " + root + " (watched: " + watched + ")";
    } else {
      *error = "no target" + (root.empty() ? std::string() : " of " + root) + " has '" + target + "' in its name";
    }
    return false;
  }
  log::info("full sync of ", matched, " targets requested through a plugin");
  if (wakeFd_ >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
  }
  return true;
}

}  // namespace fsrelay
