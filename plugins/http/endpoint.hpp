// The http plugin's HTTP server: one per process, shared by every instance, started by the first.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include <fsrelay/plugin.hpp>

#include "event_hub.hpp"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace fsrelay::http {

class BoundedServer;

struct EndpointConfig {
  std::string bindHost = "127.0.0.1";  // normalized (see normalizeBindHost)
  int port = 8008;
  std::string token;                   // "" = none: POST /sync is refused
  bool authReads = false;              // GET /status, /metrics, /events need the token too
  std::size_t bufferBytes = 1 << 20;   // per /events client
  std::chrono::seconds heartbeat{15};
  std::size_t maxClients = 8;          // /events clients at once
  std::chrono::milliseconds requestTimeout{10000};  // a client's whole request, from its connection

  bool sameServer(const EndpointConfig& o) const {
    return bindHost == o.bindHost && port == o.port && token == o.token && authReads == o.authReads &&
           bufferBytes == o.bufferBytes && heartbeat == o.heartbeat && maxClients == o.maxClients &&
           requestTimeout == o.requestTimeout;
  }
};

class Endpoint {
 public:
  // The process's endpoint, started (bound and listening) on first use; every call needs a release().
  // nullptr with *why when it cannot listen, or when config differs from the running one's.
  static Endpoint* acquire(sdk::Host* host, const EndpointConfig& config, std::string* why);
  // Registers an instance serving root, with its host (each instance has its own Host object, valid until
  // its destroy() returns). The oldest instance of a root feeds /events, so that several instances of one
  // root (one per deshost) do not show each change several times; the oldest instance's host answers
  // the endpoint's requests.
  void addInstance(const std::string& root, const void* instance, sdk::Host* host);
  // Unregisters the instance (waiting for requests that use its host); the last release stops the server
  // and joins its thread first. Called from the instance's destroy().
  static void release(Endpoint* endpoint, const std::string& root, const void* instance) noexcept;

  bool feeds(const std::string& root, const void* instance) const;
  EventHub& hub() { return hub_; }
  void countWebhook(bool ok) { (ok ? webhookPosts_ : webhookFailures_).fetch_add(1); }
  std::string listenAddress() const;

  ~Endpoint();

 private:
  explicit Endpoint(EndpointConfig config);
  bool start(sdk::Host* host, std::string* why);
  void stop() noexcept;
  void routes();
  void removeInstance(const std::string& root, const void* instance);
  // Runs fn(host) with the host of a live instance, which stays valid while fn runs; false when none.
  template <class Fn>
  bool withHost(Fn&& fn) const {
    std::shared_lock<std::shared_mutex> lock(membersMutex_);
    if (members_.empty()) return false;
    fn(members_.front().host);
    return true;
  }
  void log(sdk::LogLevel level, const std::string& line) const;

  void handleStatus(const httplib::Request& req, httplib::Response& res);
  void handleMetrics(const httplib::Request& req, httplib::Response& res);
  void handleEvents(const httplib::Request& req, httplib::Response& res);
  void handleSync(const httplib::Request& req, httplib::Response& res);
  // False (with the 401 answer written) unless the request carries the token.
  bool authorized(const httplib::Request& req, httplib::Response& res);
  std::string pluginStatusJson() const;

  struct Member {
    std::string root;
    const void* instance;
    sdk::Host* host;
  };

  EndpointConfig config_;
  bool loopback_;
  std::unique_ptr<BoundedServer> server_;
  std::thread thread_;
  EventHub hub_;
  std::atomic<bool> closing_{false};
  std::atomic<bool> listenerDone_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> authFailures_{0};
  std::atomic<std::uint64_t> syncRequests_{0};
  std::atomic<std::uint64_t> webhookPosts_{0};
  std::atomic<std::uint64_t> webhookFailures_{0};
  mutable std::shared_mutex membersMutex_;
  std::vector<Member> members_;  // oldest first
};

}  // namespace fsrelay::http
