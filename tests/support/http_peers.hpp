// Peers for the http plugin's integration tests: a /events reader and a webhook receiver on 127.0.0.1.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fsrelay::test {

// Reads GET /events on its own thread until destroyed; keeps everything received. The endpoint must send
// heartbeats (events.heartbeat_s) for the destructor to return promptly.
class EventStream {
 public:
  explicit EventStream(int port, std::string token = "");
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  std::string text() const;
  // True once text() contains needle; false after timeout or when the stream ended.
  bool waitFor(const std::string& needle, std::chrono::milliseconds timeout) const;
  std::size_t count(const std::string& needle) const;

 private:
  httplib::Client client_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string text_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
};

// An HTTP server on 127.0.0.1 recording every POST to /hook: raw body and sersync's decoded fields.
class WebhookReceiver {
 public:
  struct Post {
    std::string body;
    std::string contentType;
    std::string watchroot, isdir, inotifyPath, mask;
  };

  // port 0: any free port. Throws when it cannot bind.
  explicit WebhookReceiver(int port = 0);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  std::vector<Post> posts() const;
  // The first POST naming path (inotifyPath) and, when mask is not empty, with that mask; an empty Post
  // after timeout.
  Post waitFor(const std::string& path, std::chrono::milliseconds timeout, const std::string& mask = "") const;

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  mutable std::mutex mutex_;
  std::vector<Post> posts_;
};

}  // namespace fsrelay::test
