// Peers for the http plugin's integration tests: a /events reader and a webhook receiver on 127.0.0.1.
#include "tests/support/http_peers.hpp"

#include <stdexcept>

namespace fsrelay::test {

using namespace std::chrono_literals;

EventStream::EventStream(int port, std::string token) : client_("127.0.0.1", port) {
  client_.set_read_timeout(5, 0);
  thread_ = std::thread([this, token] {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    client_.Get("/events", headers, [this](const char* data, std::size_t size) {
      std::lock_guard<std::mutex> lock(mutex_);
      text_.append(data, size);
      return !stop_;
    });
    done_ = true;
  });
}

EventStream::~EventStream() {
  stop_ = true;
  thread_.join();  // the next heartbeat wakes the receiver, which then ends the request
}

std::string EventStream::text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return text_;
}

bool EventStream::waitFor(const std::string& needle, std::chrono::milliseconds timeout) const {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (text().find(needle) != std::string::npos) return true;
    if (done_) return false;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

std::size_t EventStream::count(const std::string& needle) const {
  const std::string t = text();
  std::size_t n = 0;
  for (std::size_t at = t.find(needle); at != std::string::npos; at = t.find(needle, at + needle.size())) ++n;
  return n;
}

WebhookReceiver::WebhookReceiver(int port) {
  server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
    Post p{req.body, req.get_header_value("Content-Type"), req.get_param_value("watchroot"),
           req.get_param_value("isdir"), req.get_param_value("inotifyPath"), req.get_param_value("mask")};
    std::lock_guard<std::mutex> lock(mutex_);
    posts_.push_back(std::move(p));
    res.set_content("ok", "text/plain");
  });
  if (port == 0) {
    port_ = server_.bind_to_any_port("127.0.0.1");
  } else if (server_.bind_to_port("127.0.0.1", port)) {
    port_ = port;
  }
  if (port_ <= 0) throw std::runtime_error("webhook receiver: cannot bind 127.0.0.1:" + std::to_string(port));
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(2ms);
}

WebhookReceiver::~WebhookReceiver() {
  server_.stop();
  thread_.join();
}

std::vector<WebhookReceiver::Post> WebhookReceiver::posts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return posts_;
}

WebhookReceiver::Post WebhookReceiver::waitFor(const std::string& path, std::chrono::milliseconds timeout,
                                               const std::string& mask) const {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    for (const Post& p : posts())
      if (p.inotifyPath == path && (mask.empty() || p.mask == mask)) return p;
    std::this_thread::sleep_for(20ms);
  }
  return {};
}

}  // namespace fsrelay::test
