// The http plugin's HTTP server: one per process, shared by every instance, started by the first.
#include "endpoint.hpp"

#include <httplib.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>

#include <fsrelay/json_text.hpp>
#include <fsrelay/plugin_kit.hpp>

#include "bounded_server.hpp"
#include "metrics_format.hpp"
#include "request_args.hpp"
#include "sse_format.hpp"
#include "status_page.hpp"

namespace fsrelay::http {
namespace {

using httplib::Request;
using httplib::Response;

std::mutex gMutex;
Endpoint* gEndpoint = nullptr;
int gReferences = 0;

// Request threads: /events clients hold one each for as long as they stay, the rest serve short requests.
constexpr std::size_t kShortRequestThreads = 8;
// Connections accepted while every request thread is busy wait for one, up to this many; more get 503 at once
// (each waiting one holds a file descriptor of the daemon).
constexpr std::size_t kWaitingConnections = 64;
constexpr std::size_t kMaxBodyBytes = 64 * 1024;
constexpr std::size_t kMaxHeaders = 100;
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
// While a request is read: its request line (cpp-httplib refuses one over 8 KiB) and header fields, and its
// lines (the request line, the fields, the empty line, and some slack so that the checks in the
// pre-routing handler below answer 431 for what is slightly over).
constexpr std::size_t kMaxHeadBytes = kMaxHeaderBytes + 8 * 1024;
constexpr std::size_t kMaxHeadLines = kMaxHeaders + 28;
// Once fsrelay is stopping, responses in progress get this long to finish before their sockets are shut down.
constexpr auto kStopGrace = std::chrono::milliseconds(500);
constexpr std::size_t kSocketSendBuffer = 64 * 1024;  // the kernel doubles it for its bookkeeping

using sdk::kit::bytes;

void sinkToString(void* context, sdk::Bytes data) {
  static_cast<std::string*>(context)->assign(sdk::kit::view(data));
}

void answerError(Response& res, int status, std::string_view message) {
  std::string body = "{\"error\":";
  sdk::json::appendString(body, message);
  body += "}\n";
  res.status = status;
  res.set_content(body, "application/json");
}

}  // namespace

Endpoint* Endpoint::acquire(sdk::Host* host, const EndpointConfig& config, std::string* why) {
  std::lock_guard<std::mutex> lock(gMutex);
  if (gEndpoint != nullptr) {
    if (!gEndpoint->config_.sameServer(config)) {
      *why = "the http endpoint is one per process and already runs on " + gEndpoint->listenAddress() +
             " with other host.* / events.* settings; give every http instance the same ones";
      return nullptr;
    }
    ++gReferences;
    return gEndpoint;
  }
  std::unique_ptr<Endpoint> endpoint(new Endpoint(config));
  if (!endpoint->start(host, why)) return nullptr;
  gEndpoint = endpoint.release();
  gReferences = 1;
  return gEndpoint;
}

void Endpoint::release(Endpoint* endpoint, const std::string& root, const void* instance) noexcept {
  std::lock_guard<std::mutex> lock(gMutex);
  if (endpoint == nullptr || endpoint != gEndpoint) return;
  if (--gReferences > 0) {
    endpoint->removeInstance(root, instance);
    return;
  }
  gEndpoint = nullptr;
  endpoint->stop();  // while the instance is still registered: its host serves the last log lines
  endpoint->removeInstance(root, instance);
  delete endpoint;
}

Endpoint::Endpoint(EndpointConfig config)
    : config_(std::move(config)),
      loopback_(isLoopbackAddress(config_.bindHost)),
      hub_(config_.bufferBytes, config_.maxClients) {
  ConnectionLimits limits;
  limits.threads = config_.maxClients + kShortRequestThreads;
  limits.waiting = kWaitingConnections;
  limits.requestTimeout = config_.requestTimeout;
  limits.maxHeadBytes = kMaxHeadBytes;
  limits.maxHeadLines = kMaxHeadLines;
  limits.maxBodyBytes = kMaxBodyBytes;
  server_ = std::make_unique<BoundedServer>(limits);
}

Endpoint::~Endpoint() { stop(); }

std::string Endpoint::listenAddress() const {
  const bool v6 = config_.bindHost.find(':') != std::string::npos;
  return (v6 ? "[" + config_.bindHost + "]" : config_.bindHost) + ":" + std::to_string(config_.port);
}

bool Endpoint::start(sdk::Host* host, std::string* why) {
  // BoundedServer serves one request per connection (an idle keep-alive connection would hold a request thread,
  // and the unread body of a request refused before its body was read, 411 or 413, would otherwise be parsed
  // as the next request) and bounds reading it (ConnectionLimits: 5 s per read, 3 s per write, after which a
  // stalled /events client frees its thread). cpp-httplib applies these two to accepted sockets as SO_RCVTIMEO
  // and SO_SNDTIMEO: kept equal to them.
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(3, 0);
  server_->set_payload_max_length(kMaxBodyBytes);
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second fsrelay (or any process of the same
  // user) bind the same port and silently take half the connections. SO_REUSEADDR alone only allows a
  // restart while old connections linger in TIME_WAIT. A fixed send buffer (inherited by accepted
  // sockets) stops the kernel from growing it to megabytes for a stalled /events client: such a client
  // then overflows its events.buffer_bytes soon and is dropped, and its memory stays bounded.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    int sendBuffer = static_cast<int>(kSocketSendBuffer);
    ::setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sendBuffer, sizeof sendBuffer);
  });
  routes();

  errno = 0;
  if (!server_->bindToPort(config_.bindHost, config_.port)) {
    const int err = errno;
    *why = "http endpoint: cannot listen on " + listenAddress() +
           (err != 0 ? std::string(": ") + std::strerror(err) : std::string()) +
           " (host.hostip / host.port, or sersync's <head><host>)";
    return false;
  }
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listenerDone_ = true;
  });
  // Wait until it accepts connections, so the line below is true when logged and create() returns ready.
  for (int i = 0; i < 500 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  host->log(sdk::LogLevel::Info, bytes(
      "http endpoint listening on http://" + listenAddress() + "/ (POST /sync " +
          (config_.token.empty() ? "disabled: no host.token_file" : "needs the token") + ")"));
  return true;
}

void Endpoint::stop() noexcept {
  if (!thread_.joinable()) return;
  closing_ = true;
  hub_.stop();  // ends every /events stream, so their threads can be joined
  // The listener returns once every request thread is done. A client still sending its request is cut at
  // once (it would otherwise hold the stop for up to host.request_timeout_ms); a response in progress gets a
  // short grace, then its socket is shut down too (a client that reads slowly cannot hold the stop either).
  const auto graceEnd = std::chrono::steady_clock::now() + kStopGrace;
  bool stopped = false;
  while (!listenerDone_) {
    // stop() is a no-op until listen_after_bind has flagged itself running.
    if (!stopped && server_->is_running()) {
      server_->stop();
      stopped = true;
    }
    server_->closeConnections(std::chrono::steady_clock::now() >= graceEnd);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  thread_.join();
}

void Endpoint::addInstance(const std::string& root, const void* instance, sdk::Host* host) {
  std::unique_lock<std::shared_mutex> lock(membersMutex_);
  members_.push_back(Member{root, instance, host});
}

void Endpoint::removeInstance(const std::string& root, const void* instance) {
  std::unique_lock<std::shared_mutex> lock(membersMutex_);
  members_.erase(std::remove_if(members_.begin(), members_.end(),
                                [&](const Member& m) { return m.root == root && m.instance == instance; }),
                 members_.end());
}

bool Endpoint::feeds(const std::string& root, const void* instance) const {
  std::shared_lock<std::shared_mutex> lock(membersMutex_);
  for (const Member& m : members_) {
    if (m.root == root) return m.instance == instance;
  }
  return false;
}

void Endpoint::log(sdk::LogLevel level, const std::string& line) const {
  withHost([&](sdk::Host* host) { host->log(level, bytes(line)); });
}

void Endpoint::routes() {
  httplib::Server& s = *server_;
  s.set_pre_routing_handler([this](const Request& req, Response& res) {
    ++requests_;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    if (closing_) {
      answerError(res, 503, "fsrelay is stopping");
      return httplib::Server::HandlerResponse::Handled;
    }
    // A page on another site can make a browser talk to 127.0.0.1 under its own name (DNS rebinding);
    // its Host header then names that site, which a loopback endpoint never answers.
    if (loopback_ && !loopbackHostHeaderAllowed(req.get_header_value("Host"), config_.port)) {
      answerError(res, 403, "Host header must name this loopback endpoint (DNS rebinding protection)");
      return httplib::Server::HandlerResponse::Handled;
    }
    // 0.11 has no limit on the header section (only on one line): BoundedServer cuts off a head over kMaxHeadBytes
    // or kMaxHeadLines while reading it; what is a little below those limits but over ours is refused here.
    std::size_t headerBytes = 0;
    for (const auto& [name, value] : req.headers) headerBytes += name.size() + value.size() + 4;
    if (req.headers.size() > kMaxHeaders || headerBytes > kMaxHeaderBytes) {
      answerError(res, 431, "too many or too large header fields");
      return httplib::Server::HandlerResponse::Handled;
    }
    // Checked before cpp-httplib reads any body. 0.11 reads a chunked one (POST, PUT, PATCH or DELETE, routed
    // or not) whole into memory whatever set_payload_max_length says, reads a too long one to skip it, and
    // waits for a POST body without a length until the read timeout. No route takes more than kMaxBodyBytes,
    // and curl -d and browsers always send Content-Length.
    if (req.has_header("Transfer-Encoding") || (req.method == "POST" && !req.has_header("Content-Length"))) {
      answerError(res, 411, "send a body with a Content-Length (it may be empty: curl -d '' ...)");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) > kMaxBodyBytes) {
      answerError(res, 413, "the body is larger than " + std::to_string(kMaxBodyBytes) + " bytes");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (config_.authReads && req.method == "GET" && req.path != "/" && !authorized(req, res)) {
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const Request& req, Response& res) {
    if (!res.body.empty() || res.is_chunked_content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    answerError(res, res.status, res.status == 404 ? "no such endpoint: " + req.path : "request refused");
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([this](const Request&, Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log(sdk::LogLevel::Error, "http endpoint: internal error: " + what);
    answerError(res, 500, "internal error");
  });
  s.set_logger([this](const Request& req, const Response& res) {
    log(sdk::LogLevel::Debug,
        "http endpoint: " + req.remote_addr + " " + req.method + " " + req.path + " " + std::to_string(res.status));
  });

  s.Get("/", [](const Request&, Response& res) {
    res.set_header("Content-Security-Policy", std::string(statusPageCsp()));
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    const std::string_view page = statusPageHtml();
    res.set_content(page.data(), page.size(), "text/html; charset=utf-8");
  });
  s.Get("/status", [this](const Request& req, Response& res) { handleStatus(req, res); });
  s.Get("/metrics", [this](const Request& req, Response& res) { handleMetrics(req, res); });
  s.Get("/events", [this](const Request& req, Response& res) { handleEvents(req, res); });
  s.Post("/sync", [this](const Request& req, Response& res) { handleSync(req, res); });
  s.Get("/sync", [](const Request&, Response& res) {
    res.set_header("Allow", "POST");
    answerError(res, 405, "use POST /sync");
  });
}

bool Endpoint::authorized(const Request& req, Response& res) {
  const std::optional<std::string> given = bearerToken(req.get_header_value("Authorization"));
  if (given && !config_.token.empty() && constantTimeEqual(config_.token, *given)) return true;
  ++authFailures_;
  res.set_header("WWW-Authenticate",
                 given ? "Bearer realm=\"fsrelay\", error=\"invalid_token\"" : "Bearer realm=\"fsrelay\"");
  answerError(res, 401, given ? "wrong token" : "this request needs Authorization: Bearer <token>");
  return false;
}

std::string Endpoint::pluginStatusJson() const {
  std::string out = "{\"listen\":";
  sdk::json::appendString(out, "http://" + listenAddress() + "/");
  out += ",\"sync_enabled\":";
  out += config_.token.empty() ? "false" : "true";
  out += ",\"events_clients\":" + std::to_string(hub_.clients());
  out += ",\"events_published\":" + std::to_string(hub_.published());
  out += ",\"events_dropped_clients\":" + std::to_string(hub_.droppedClients());
  out += ",\"webhook_posts\":" + std::to_string(webhookPosts_.load());
  out += ",\"webhook_failures\":" + std::to_string(webhookFailures_.load());
  out += "}";
  return out;
}

void Endpoint::handleStatus(const Request&, Response& res) {
  std::string status;
  if (!withHost([&](sdk::Host* host) { host->snapshot(sdk::SnapshotKind::StatusJson, &sinkToString, &status); })) {
    answerError(res, 503, "fsrelay is starting or stopping");
    return;
  }
  if (status.empty()) status = "{}";
  res.set_content(withMember(status, "http", pluginStatusJson()) + "\n", "application/json");
}

void Endpoint::handleMetrics(const Request&, Response& res) {
  std::string text;
  if (!withHost([&](sdk::Host* host) { host->snapshot(sdk::SnapshotKind::MetricsText, &sinkToString, &text); })) {
    answerError(res, 503, "fsrelay is starting or stopping");
    return;
  }
  auto n = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  const std::vector<Metric> own = {
      {"fsrelay_http_requests_total", "counter", "HTTP requests received by the http plugin's endpoint",
       n(requests_.load())},
      {"fsrelay_http_auth_failures_total", "counter", "Requests refused for a missing or wrong token",
       n(authFailures_.load())},
      {"fsrelay_http_sync_requests_total", "counter", "Full syncs requested with POST /sync",
       n(syncRequests_.load())},
      {"fsrelay_http_events_clients", "gauge", "Clients connected to /events", n(hub_.clients())},
      {"fsrelay_http_events_published_total", "counter", "Messages published on /events", n(hub_.published())},
      {"fsrelay_http_events_dropped_clients_total", "counter",
       "Clients of /events disconnected because they fell too far behind", n(hub_.droppedClients())},
      {"fsrelay_http_request_timeouts_total", "counter",
       "Connections closed because their request did not arrive within host.request_timeout_ms",
       n(server_->requestTimeouts())},
      {"fsrelay_http_oversized_requests_total", "counter",
       "Connections closed while reading a request head or body over the size limits", n(server_->oversizedRequests())},
      {"fsrelay_http_refused_connections_total", "counter",
       "Connections answered 503 at once because every request thread was busy and the waiting room full",
       n(server_->refusedConnections())},
      {"fsrelay_http_webhook_posts_total", "counter", "Webhook POSTs answered with 2xx", n(webhookPosts_.load())},
      {"fsrelay_http_webhook_failures_total", "counter", "Webhook POSTs that failed (no connection or not 2xx)",
       n(webhookFailures_.load())},
  };
  res.set_content(appendMetrics(text, own), "text/plain; version=0.0.4");
}

void Endpoint::handleEvents(const Request&, Response& res) {
  std::shared_ptr<EventHub::Client> client = hub_.subscribe();
  if (!client) {
    answerError(res, 503, "too many /events clients (events.max_clients = " + std::to_string(config_.maxClients) + ")");
    return;
  }
  res.set_header("X-Accel-Buffering", "no");  // nginx in front: pass events on at once
  const auto heartbeat = std::chrono::duration_cast<std::chrono::milliseconds>(config_.heartbeat);
  bool first = true;
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, client, heartbeat, first](std::size_t, httplib::DataSink& sink) mutable {
        std::string out;
        if (first) {
          // Sent at once, so a client knows the stream is live before the first change.
          first = false;
          out = "retry: 3000\n" + sseComment("fsrelay events");
          return sink.write(out.data(), out.size());
        }
        switch (hub_.next(*client, heartbeat, &out)) {
          case EventHub::Next::Data:
            return sink.write(out.data(), out.size());
          case EventHub::Next::Idle:
            out = sseComment("heartbeat");
            return sink.write(out.data(), out.size());
          case EventHub::Next::Dropped:
            return false;  // too slow: close without another write into its full socket
          case EventHub::Next::Closed:
            break;
        }
        sink.done();  // stopping: end the response properly
        return true;
      },
      [this, client](bool) { hub_.unsubscribe(client); });
}

void Endpoint::handleSync(const Request& req, Response& res) {
  // A browser sends Origin with every cross-site POST: a page elsewhere must not trigger syncs, token or not.
  const std::string origin = req.get_header_value("Origin");
  const std::string fetchSite = req.get_header_value("Sec-Fetch-Site");
  if ((!origin.empty() && !sameOrigin(origin, req.get_header_value("Host"))) ||
      (!fetchSite.empty() && fetchSite != "same-origin" && fetchSite != "none")) {
    answerError(res, 403, "cross-origin requests may not start a sync");
    return;
  }
  if (config_.token.empty()) {
    answerError(res, 403,
                "POST /sync is disabled: no token is configured. Write a token of 16+ characters to a file only "
                "fsrelay's user can read (chmod 600) and set <host token_file=\"/path/to/file\"/> in the "
                "<plugin name=\"http\"> section");
    return;
  }
  if (!authorized(req, res)) return;

  SyncArgs args;
  if (req.get_header_value("Content-Type").rfind("application/json", 0) == 0) {
    std::string why;
    std::optional<SyncArgs> parsed = parseSyncJson(req.body, &why);
    if (!parsed) {
      answerError(res, 400, why);
      return;
    }
    args = std::move(*parsed);
  } else {
    // Query string and form body both land in params (httplib decodes %XX into bytes).
    args.root = req.get_param_value("root");
    args.target = req.get_param_value("target");
  }
  while (args.root.size() > 1 && args.root.back() == '/') args.root.pop_back();

  char error[512] = {0};
  const sdk::Bytes root = args.root.empty() ? sdk::Bytes{nullptr, 0} : bytes(args.root);
  const sdk::Bytes target = args.target.empty() ? sdk::Bytes{nullptr, 0} : bytes(args.target);
  bool accepted = false;
  const bool live = withHost([&](sdk::Host* host) {
    accepted = host->requestFullSync(root, target, error, sizeof error);
  });
  if (!live) {
    answerError(res, 503, "fsrelay is stopping");
    return;
  }
  if (!accepted) {
    error[sizeof error - 1] = '\0';
    answerError(res, 404, error[0] != '\0' ? error : "no root or target matched");
    return;
  }
  ++syncRequests_;
  std::string line = "http endpoint: full sync requested by " + req.remote_addr + " for ";
  line += args.root.empty() ? std::string("every root") : "root " + args.root;
  if (!args.target.empty()) line += ", targets matching " + args.target;
  log(sdk::LogLevel::Info, line);

  std::string body = "{\"accepted\":true,";
  sdk::json::appendPath(body, "root", args.root);
  body += ',';
  sdk::json::appendPath(body, "target", args.target);
  body += "}\n";
  res.status = 202;
  res.set_content(body, "application/json");
}

}  // namespace fsrelay::http
