// The refreshcdn plugin: one Instance per watched root purges the URLs of changed paths from a CDN or cache.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fsrelay/plugin.hpp>
#include <fsrelay/plugin_kit.hpp>

#include "cdn_format.hpp"
#include "cdn_url.hpp"
#include "curl_client.hpp"
#include "pacer.hpp"
#include "refreshcdn_config.hpp"

namespace fsrelay::refreshcdn {
namespace {

using sdk::LogLevel;
using sdk::kit::bytes;
using sdk::kit::view;
using sdk::Status;

constexpr char kVersion[] = "0.1.0";

const char* statusName(Status s) { return s == Status::Ok ? "ok" : s == Status::Retry ? "retry" : "fail"; }

// A reply body for a one-line message: printable ASCII only, bounded.
std::string printableHead(std::string_view body, std::size_t max) {
  std::string out;
  for (char c : body) {
    if (out.size() >= max) break;
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7F ? c : ' ');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

class RefreshInstance final : public sdk::Instance {
 public:
  RefreshInstance(sdk::Host* host, std::string root, Config config)
      : host_(host),
        root_(std::move(root)),
        config_(std::move(config)),
        client_(config_.http),
        pacer_(config_.perSecond) {}

  Status deliver(const sdk::Batch& batch, sdk::Report& report) noexcept override {
    return sdk::kit::guardedDeliver(batch, report, host_, "refreshcdn", "refreshcdn_request_failures",
                                    [&] { return deliverBatch(batch, report); });
  }

  void destroy() noexcept override { delete this; }

 private:
  // What one request came to, for the batch's summary.
  struct Tally {
    std::size_t sent = 0;
    std::size_t failed = 0;   // Retry or Fail
    std::string firstProblem; // already scrubbed
  };

  Status deliverBatch(const sdk::Batch& batch, sdk::Report& report) {
    const auto start = std::chrono::steady_clock::now();
    std::string_view root = view(batch.root);
    if (root.empty()) root = root_;
    const bool fullSync = batch.kind == sdk::BatchKind::FullSync;
    if (!fullSync && batch.kind != sdk::BatchKind::Changes) {
      const std::string m = "refreshcdn: unknown batch kind " + std::to_string(static_cast<int>(batch.kind));
      report.message(bytes(m));
      return Status::Fail;
    }
    const std::string prefix = "batch " + std::to_string(batch.id) + (fullSync ? " full sync" : "");

    const PurgePlan plan = fullSync ? planFullSync(config_.rule)
                                    : planPurges(batch.events, batch.event_count, root, config_.rule);
    for (std::size_t index : plan.rejected) {
      log(LogLevel::Error, prefix + ": event " + std::to_string(index) +
                               " has an unsafe path (absolute, \"..\" or NUL); no URL built");
    }
    if (!plan.unmatched.empty()) {
      host_->count("refreshcdn_unmatched", static_cast<std::int64_t>(plan.unmatched.size()));
      log(LogLevel::Debug, prefix + ": " + std::to_string(plan.unmatched.size()) +
                               " path(s) not matched by regexurl: nothing to purge for them");
    }

    const std::vector<HttpRequest> requests = buildRequests(config_.provider, plan.items);
    std::vector<Status> itemStatus(plan.items.size(), Status::Ok);
    std::set<std::string> deadEndpoints;  // a transport error: the rest for that endpoint is not tried now
    Tally tally;
    for (const HttpRequest& request : requests) {
      const Status st = send(request, prefix, deadEndpoints, tally);
      for (std::size_t item : request.items) itemStatus[item] = worse(itemStatus[item], st);
    }

    Status overall = Status::Ok;
    std::size_t purged = 0;
    for (Status s : itemStatus) {
      overall = worse(overall, s);
      purged += s == Status::Ok ? 1 : 0;
    }
    if (purged > 0) host_->count("refreshcdn_urls", static_cast<std::int64_t>(purged));
    if (!fullSync) overall = reportEvents(batch, plan, itemStatus, report);

    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::string summary = prefix + ": " + std::to_string(purged) + " of " + std::to_string(plan.items.size()) +
                          " URL(s) purged, " + std::to_string(tally.sent) + " request(s), " +
                          std::to_string(ms.count()) + " ms";
    if (overall == Status::Ok) {
      log(LogLevel::Info, summary);
      return Status::Ok;
    }
    std::string message = providerName() + ": ";
    if (tally.failed > 0) {
      message += std::to_string(tally.failed) + " of " + std::to_string(requests.size()) + " request(s) failed";
      if (!tally.firstProblem.empty()) message += ": " + tally.firstProblem;
    }
    if (!plan.rejected.empty()) {
      if (tally.failed > 0) message += "; ";
      message += std::to_string(plan.rejected.size()) + " path(s) unsafe (absolute, \"..\" or NUL): no URL built";
    }
    message = scrubSecrets(std::move(message), config_.secrets);
    log(LogLevel::Warn, summary + "; " + statusName(overall));
    report.message(bytes(message));
    return overall;
  }

  Status send(const HttpRequest& request, const std::string& prefix, std::set<std::string>& deadEndpoints,
              Tally& tally) {
    const std::string what = scrubSecrets(request.describe, config_.secrets);
    auto problem = [&](const std::string& why) {
      ++tally.failed;
      if (tally.firstProblem.empty()) tally.firstProblem = scrubSecrets(why, config_.secrets);
    };
    if (deadEndpoints.count(request.endpoint) != 0) {
      problem("not sent: " + request.endpoint + " was unreachable earlier in this batch");
      return Status::Retry;
    }
    if (!waitForSlot()) {
      problem("fsrelay is stopping: not sent");
      return Status::Retry;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const HttpResponse response = client_.send(request);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    ++tally.sent;
    host_->count("refreshcdn_requests", 1);
    const Status st = classifyHttp(response.status, response.transportError, request.notFoundIsOk);
    std::string outcome = response.transportError ? "error: " + response.error
                                                   : "HTTP " + std::to_string(response.status);
    outcome = scrubSecrets(std::move(outcome), config_.secrets);
    log(st == Status::Ok ? LogLevel::Debug : LogLevel::Warn,
        prefix + ": " + what + " -> " + outcome + " (" + std::to_string(ms.count()) + " ms, " + statusName(st) + ")");
    if (st != Status::Ok) {
      host_->count("refreshcdn_request_failures", 1);
      if (response.transportError) deadEndpoints.insert(request.endpoint);
      std::string why = outcome + " for " + what;
      const std::string body = printableHead(response.bodyHead, 200);
      if (!response.transportError && !body.empty()) why += ": " + body;
      problem(why);
    }
    return st;
  }

  // Every event gets the outcome of the URLs it asked for; the host retries or fail-logs it accordingly.
  Status reportEvents(const sdk::Batch& batch, const PurgePlan& plan, const std::vector<Status>& itemStatus,
                      sdk::Report& report) {
    std::vector<Status> events(batch.event_count, Status::Ok);
    for (std::size_t i = 0; i < plan.items.size(); ++i) {
      for (std::size_t e : plan.items[i].events) events[e] = worse(events[e], itemStatus[i]);
    }
    for (std::size_t e : plan.rejected) events[e] = Status::Fail;
    Status overall = Status::Ok;
    for (Status s : events) overall = worse(overall, s);
    if (overall != Status::Ok) {
      for (std::size_t i = 0; i < events.size(); ++i) report.eventStatus(i, events[i]);
    }
    return overall;
  }

  // Sleeps until the rate limit allows the next request. False once the host's shutdown deadline has
  // passed: after SIGTERM it still flushes pending changes (so stopping() alone must not skip them), but a
  // rate-limited backlog must not hold shutdown up beyond its deadline.
  bool waitForSlot() {
    const auto slot = pacer_.reserve(Pacer::Clock::now());
    for (;;) {
      const auto now = Pacer::Clock::now();
      if (host_->aborting()) return false;
      if (now >= slot) return true;
      std::this_thread::sleep_for(std::min<Pacer::Clock::duration>(slot - now, std::chrono::milliseconds(100)));
    }
  }

  std::string providerName() const {
    switch (config_.provider.provider) {
      case Provider::ChinaCache: return "chinacache";
      case Provider::HttpPurge: return "http-purge";
      case Provider::JsonApi: return "json-api";
    }
    return "?";
  }

  void log(LogLevel level, const std::string& line) { host_->log(level, bytes(line)); }

  sdk::Host* host_;
  std::string root_;
  Config config_;
  CurlClient client_;
  Pacer pacer_;
};

sdk::Instance* createInstance(const sdk::CreateArgs& args, std::string* error) {
  Config config;
  if (!readConfig(args.settings, args.setting_count, &config, error)) return nullptr;
  if (!initCurlOnce(error)) return nullptr;
  config.http.userAgent = std::string("fsrelay-refreshcdn/") + kVersion;
  const std::string root(view(args.root));
  if (root.empty() || root.front() != '/') {
    *error = "refreshcdn: the host gave no absolute root";
    return nullptr;
  }
  args.host->log(LogLevel::Info, bytes(config.summary));
  return new RefreshInstance(args.host, root, std::move(config));
}

sdk::Instance* create(const sdk::CreateArgs* args) noexcept {
  return sdk::kit::guardedCreate(args, "refreshcdn", createInstance);
}

}  // namespace

// A function-local static: the key table lives in another file, so its size is not a constant here.
const sdk::PluginDescriptor* refreshcdnDescriptor() {
  static const sdk::PluginDescriptor descriptor = {
      FSRELAY_SDK_API_MAJOR,
      FSRELAY_SDK_API_MINOR,
      FSRELAY_SDK_ABI_TAG,
      "refreshcdn",
      kVersion,
      "purge the URLs of changed paths from a CDN or cache (chinacache, http-purge, json-api)",
      kKeys,
      kKeyCount,
      &create,
      nullptr,  // one instance per root: each <localpath watch> of the section
  };
  return &descriptor;
}

}  // namespace fsrelay::refreshcdn

FSRELAY_PLUGIN(fsrelay::refreshcdn::refreshcdnDescriptor)
