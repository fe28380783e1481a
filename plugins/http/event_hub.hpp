// Fans changes out to every /events client through bounded buffers; a delivery never waits for a client.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "sse_format.hpp"

namespace fsrelay::http {

class EventHub {
 public:
  struct Client {
    explicit Client(std::size_t capacity) : buffer(capacity) {}
    ClientBuffer buffer;  // guarded by the hub's mutex
  };
  enum class Next { Data, Idle, Dropped, Closed };
  struct Message {
    std::string event;  // "change" or "sync"
    std::string json;
    std::string key;    // identifies a change across the host's retries of a batch; "" = always send
  };

  EventHub(std::size_t bufferBytes, std::size_t maxClients) : bufferBytes_(bufferBytes), maxClients_(maxClients) {}

  // A new client, or nullptr when maxClients are connected or the hub is stopping.
  std::shared_ptr<Client> subscribe();
  void unsubscribe(const std::shared_ptr<Client>& client);
  // Waits up to timeout for bytes for client. Data: *out holds them. Idle: nothing came (time for a
  // heartbeat). Dropped: the client fell too far behind. Closed: the hub is stopping.
  Next next(Client& client, std::chrono::milliseconds timeout, std::string* out);
  // Frames each message with the next id and appends it to every client's buffer; a client whose buffer
  // would overflow is dropped (counted). A message whose key was published recently is skipped: the host
  // retries a batch when a webhook failed, and the stream must not show the change twice.
  void publish(const std::vector<Message>& messages);
  void stop();

  std::size_t clients() const;
  std::uint64_t published() const;
  std::uint64_t droppedClients() const;

 private:
  bool firstTime(const std::string& key);  // with mutex_ held

  const std::size_t bufferBytes_;
  const std::size_t maxClients_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<Client>> clients_;
  bool stopping_ = false;
  std::uint64_t nextId_ = 1;
  std::uint64_t published_ = 0;
  std::uint64_t dropped_ = 0;
  std::deque<std::string> recentOrder_;
  std::unordered_set<std::string> recent_;
};

}  // namespace fsrelay::http
