// The http plugin: an HTTP endpoint (status, metrics, event stream, sync trigger, page) and sersync's webhook.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fsrelay/plugin.hpp>
#include <fsrelay/plugin_kit.hpp>

#include "endpoint.hpp"
#include "request_args.hpp"
#include "sse_format.hpp"
#include "webhook.hpp"
#include "webhook_format.hpp"

namespace fsrelay::http {
namespace {

using sdk::KeyType;
using sdk::LogLevel;
using sdk::Status;
using sdk::kit::bytes;
using sdk::kit::view;

constexpr char kVersion[] = "0.1.0";

const sdk::ConfigKey kKeys[] = {
    {"host.hostip", KeyType::String, "127.0.0.1",
     "address the endpoint listens on (sersync's <head><host hostip> when the section has no <host>); "
     "localhost = 127.0.0.1; any non-loopback address needs host.token_file", 0},
    {"host.port", KeyType::Int, "8008", "TCP port of the endpoint", 0},
    {"host.token_file", KeyType::Path, "",
     "file holding the bearer token (16+ characters, mode 0600); without it POST /sync is refused", 0},
    {"host.auth_reads", KeyType::Bool, "",
     "GET /status, /metrics and /events need the token too; empty = only when not bound to loopback", 0},
    {"host.request_timeout_ms", KeyType::Int, "10000",
     "a client must send its whole request (head and body) within this, counted from its connection; a slower "
     "one is disconnected (the response, e.g. an /events stream, is not limited)", 0},
    {"events.buffer_bytes", KeyType::Int, "1048576",
     "bytes buffered per /events client; a client that falls further behind is disconnected", 0},
    {"events.heartbeat_s", KeyType::Int, "15", "seconds between SSE comment lines on an idle /events stream", 0},
    {"events.max_clients", KeyType::Int, "8", "/events clients served at once (more get 503)", 0},
    {"deshost.url", KeyType::String, "",
     "webhook: POST sersync's form (watchroot, isdir, inotifyPath, mask) per event to this http(s) URL", 0},
    {"deshost.port", KeyType::Int, "", "webhook: TCP port overriding the url's (sersync's port attribute)", 0},
    {"deshost.connect_timeout_ms", KeyType::Int, "5000", "webhook: connect timeout", 0},
    {"deshost.timeout_ms", KeyType::Int, "30000", "webhook: timeout of one POST, connecting included", 0},
    {"deshost.full_sync", KeyType::Bool, "false",
     "webhook: on a full sync, POST the root itself as a created directory (IN_CREATE|IN_ISDIR)", 0},
};

std::int64_t nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Identifies one change across the host's retries of a batch (see EventHub::publish).
std::string changeKey(std::string_view root, const sdk::Event& e) {
  std::string key(root);
  key += '\0';
  key += static_cast<char>(e.op);
  key += static_cast<char>(e.is_dir);
  key += std::to_string(e.time_ns);
  key += '\0';
  key.append(view(e.path));
  key += '\0';
  key.append(view(e.old_path));
  return key;
}

class HttpInstance final : public sdk::Instance {
 public:
  HttpInstance(sdk::Host* host, Endpoint* endpoint, std::string root,
               std::unique_ptr<Webhook> webhook, bool fullSyncPost)
      : host_(host),
        endpoint_(endpoint),
        root_(std::move(root)),
        webhook_(std::move(webhook)),
        fullSyncPost_(fullSyncPost) {
    endpoint_->addInstance(root_, this, host_);
  }

  Status deliver(const sdk::Batch& batch, sdk::Report& report) noexcept override {
    return sdk::kit::guardedDeliver(batch, report, host_, "http", nullptr,
                                    [&] { return deliverBatch(batch, report); });
  }

  void destroy() noexcept override {
    Endpoint::release(endpoint_, root_, this);
    delete this;
  }

 private:
  Status deliverBatch(const sdk::Batch& batch, sdk::Report& report) {
    std::string_view root = view(batch.root);
    if (root.empty()) root = root_;
    if (endpoint_->feeds(root_, this)) publish(batch, root);
    if (!webhook_) return Status::Ok;
    if (batch.kind == sdk::BatchKind::FullSync) {
      if (!fullSyncPost_) return Status::Ok;  // nothing in sersync's form means "everything changed"
      const Webhook::Result r = send(fullSyncPost(root), batch.id);
      if (r.ok) return Status::Ok;
      report.message(bytes(r.error));
      return Status::Retry;
    }
    return postChanges(batch, root, report);
  }

  void publish(const sdk::Batch& batch, std::string_view root) {
    std::vector<EventHub::Message> messages;
    if (batch.kind == sdk::BatchKind::FullSync) {
      messages.push_back({"sync", syncJson(root, nowNs()), ""});
    } else {
      messages.reserve(batch.event_count);
      for (std::size_t i = 0; i < batch.event_count; ++i) {
        const sdk::Event& e = batch.events[i];
        messages.push_back({"change", changeJson(root, e), changeKey(root, e)});
      }
    }
    endpoint_->hub().publish(messages);
  }

  // One POST per event (two for a move), in order. The first failure stops the batch: that event and
  // every later one are reported Retry, so the receiver sees the changes in order once it works again.
  Status postChanges(const sdk::Batch& batch, std::string_view root, sdk::Report& report) {
    std::size_t failedAt = batch.event_count;
    std::string error;
    for (std::size_t i = 0; i < batch.event_count && failedAt == batch.event_count; ++i) {
      for (const WebhookPost& post : webhookPosts(root, batch.events[i])) {
        const Webhook::Result r = send(post, batch.id);
        if (!r.ok) {
          failedAt = i;
          error = r.error;
          break;
        }
      }
    }
    if (failedAt == batch.event_count) return Status::Ok;
    for (std::size_t i = 0; i < batch.event_count; ++i) {
      report.eventStatus(i, i < failedAt ? Status::Ok : Status::Retry);
    }
    const std::size_t left = batch.event_count - failedAt;
    const std::string message = error + " (" + std::to_string(left) + " of " + std::to_string(batch.event_count) +
                                " event(s) will be retried)";
    report.message(bytes(message));
    return Status::Retry;
  }

  Webhook::Result send(const WebhookPost& post, std::uint64_t batchId) {
    const Webhook::Result r = webhook_->post(post.body);
    endpoint_->countWebhook(r.ok);
    if (r.ok) {
      log(LogLevel::Debug, "batch " + std::to_string(batchId) + ": webhook " + webhook_->redactedUrl() +
                               " mask=" + std::to_string(post.mask) + " " + escapeForLog(post.path));
    } else {
      log(LogLevel::Warn, "batch " + std::to_string(batchId) + ": " + r.error);
    }
    return r;
  }

  // Log lines are text: bytes outside printable ASCII as \xNN.
  static std::string escapeForLog(std::string_view path) {
    std::string out;
    for (char ch : path) {
      const unsigned char c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c >= 0x7F || c == '\\') {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02X", c);
        out += buf;
      } else {
        out.push_back(ch);
      }
    }
    return out;
  }

  // The host prefixes the instance name.
  void log(LogLevel level, const std::string& line) { host_->log(level, bytes(line)); }

  sdk::Host* host_;
  Endpoint* endpoint_;
  std::string root_;
  std::unique_ptr<Webhook> webhook_;  // nullptr: this instance only feeds /events (when it is its root's first)
  bool fullSyncPost_;
};

// Reads the token file, refusing one that group or others may access.
std::optional<std::string> readTokenFile(const std::string& path, std::string* why) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *why = "host.token_file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = "host.token_file " + path + " is not a regular file";
    return std::nullopt;
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    *why = "host.token_file " + path + " must not be accessible by group or others (chmod 600)";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  if (!in || !(content << in.rdbuf())) {
    *why = "host.token_file " + path + ": cannot read it";
    return std::nullopt;
  }
  std::string reason;
  std::optional<std::string> token = tokenFromFile(content.str(), &reason);
  if (!token) *why = "host.token_file " + path + ": " + reason;
  return token;
}

// What create() returns for `fsrelay --check`: settings valid, nothing started, never delivered to.
class CheckedInstance final : public sdk::Instance {
 public:
  sdk::Status deliver(const sdk::Batch&, sdk::Report&) noexcept override { return sdk::Status::Ok; }
  void destroy() noexcept override { delete this; }
};

sdk::Instance* createInstance(const sdk::CreateArgs& args, std::string* error) {
  // An integer key given as "" reads as its declared default (host.port 8008, events.buffer_bytes 1 MiB...).
  const sdk::kit::Settings setting(args, kKeys);
  auto fail = [&](std::string why) -> sdk::Instance* {
    *error = std::move(why);
    return nullptr;
  };

  const std::string root(view(args.root));
  if (root.empty() || root.front() != '/') return fail("http: the instance has no absolute root");

  EndpointConfig config;
  config.bindHost = normalizeBindHost(setting.text("host.hostip"));
  std::int64_t port = 0, bufferBytes = 0, heartbeat = 0, maxClients = 0, requestTimeoutMs = 0;
  if (!setting.integer("host.port", 1, 65535, &port, error) ||
      !setting.integer("host.request_timeout_ms", 100, 600000, &requestTimeoutMs, error) ||
      !setting.integer("events.buffer_bytes", 4096, std::int64_t{1} << 30, &bufferBytes, error) ||
      !setting.integer("events.heartbeat_s", 1, 3600, &heartbeat, error) ||
      !setting.integer("events.max_clients", 1, 256, &maxClients, error)) {
    return nullptr;
  }
  config.port = static_cast<int>(port);
  config.bufferBytes = static_cast<std::size_t>(bufferBytes);
  config.heartbeat = std::chrono::seconds(heartbeat);
  config.maxClients = static_cast<std::size_t>(maxClients);
  config.requestTimeout = std::chrono::milliseconds(requestTimeoutMs);

  const std::string tokenFile(setting.text("host.token_file"));
  if (!tokenFile.empty()) {
    std::string why;
    std::optional<std::string> token = readTokenFile(tokenFile, &why);
    if (!token) return fail(why);
    config.token = std::move(*token);
  }
  const bool loopback = isLoopbackAddress(config.bindHost);
  if (!loopback && config.token.empty()) {
    return fail("host.hostip " + config.bindHost +
                " is not a loopback address: a network-facing endpoint needs host.token_file (a file with a "
                "token of 16+ characters, chmod 600), or bind 127.0.0.1");
  }
  if (setting.text("host.auth_reads").empty()) {
    config.authReads = !loopback;
  } else if (!setting.boolean("host.auth_reads", &config.authReads, error)) {
    return nullptr;
  }
  if (config.authReads && config.token.empty()) return fail("host.auth_reads needs host.token_file");

  std::unique_ptr<Webhook> webhook;
  bool fullSyncPost = false;
  const std::string url(setting.text("deshost.url"));
  if (!url.empty()) {
    std::string why;
    if (!validWebhookUrl(url, &why)) return fail("deshost.url " + redactUrl(url) + ": " + why);
    WebhookOptions options;  // deshost.port "" (the url's port) leaves options.port 0
    options.url = url;
    if (!setting.integer("deshost.port", 0, 65535, &options.port, error) ||
        !setting.integer("deshost.connect_timeout_ms", 1, 3600000, &options.connectTimeoutMs, error) ||
        !setting.integer("deshost.timeout_ms", 1, 3600000, &options.timeoutMs, error) ||
        !setting.boolean("deshost.full_sync", &fullSyncPost, error)) {
      return nullptr;
    }
    if (!webhookGlobalInit(&why)) return fail(why);
    webhook = std::make_unique<Webhook>(std::move(options), args.host);
  }

  // --check: everything above was validated; a running daemon may hold the port, so bind nothing.
  if (args.check_only) return new CheckedInstance;

  std::string why;
  Endpoint* endpoint = Endpoint::acquire(args.host, config, &why);
  if (endpoint == nullptr) return fail(why);
  try {
    return new HttpInstance(args.host, endpoint, root, std::move(webhook), fullSyncPost);
  } catch (...) {
    Endpoint::release(endpoint, root, nullptr);
    throw;
  }
}

sdk::Instance* create(const sdk::CreateArgs* args) noexcept {
  return sdk::kit::guardedCreate(args, "http", createInstance);
}

const sdk::PluginDescriptor kDescriptor = {
    FSRELAY_SDK_API_MAJOR,
    FSRELAY_SDK_API_MINOR,
    FSRELAY_SDK_ABI_TAG,
    "http",
    kVersion,
    "HTTP endpoint (status, metrics, SSE event stream, sync trigger, status page) and sersync's webhook",
    kKeys,
    sizeof kKeys / sizeof kKeys[0],
    &create,
    "deshost",  // one instance per <deshost url>, each with its own queue and retries
};

}  // namespace

const sdk::PluginDescriptor* httpDescriptor() { return &kDescriptor; }

}  // namespace fsrelay::http

FSRELAY_PLUGIN(fsrelay::http::httpDescriptor)
