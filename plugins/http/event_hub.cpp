// Fans changes out to every /events client through bounded buffers; a delivery never waits for a client.
#include "event_hub.hpp"

#include <algorithm>

namespace fsrelay::http {
namespace {

// How many change keys are remembered for de-duplication: far more than one batch is retried with.
constexpr std::size_t kRecentKeys = 8192;

}  // namespace

std::shared_ptr<EventHub::Client> EventHub::subscribe() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_ || clients_.size() >= maxClients_) return nullptr;
  clients_.push_back(std::make_shared<Client>(bufferBytes_));
  return clients_.back();
}

void EventHub::unsubscribe(const std::shared_ptr<Client>& client) {
  std::lock_guard<std::mutex> lock(mutex_);
  clients_.erase(std::remove(clients_.begin(), clients_.end(), client), clients_.end());
}

EventHub::Next EventHub::next(Client& client, std::chrono::milliseconds timeout, std::string* out) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout,
                    [&] { return stopping_ || client.buffer.overflowed() || client.buffer.size() > 0; });
  if (client.buffer.overflowed()) return Next::Dropped;
  if (stopping_) return Next::Closed;
  if (client.buffer.size() == 0) return Next::Idle;
  *out = client.buffer.take();
  return Next::Data;
}

void EventHub::publish(const std::vector<Message>& messages) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (clients_.empty() || stopping_) return;  // nobody listens: no framing, no keys to remember
  bool any = false;
  for (const Message& m : messages) {
    if (!m.key.empty() && !firstTime(m.key)) continue;
    const std::string frame = sseFrame(m.event, nextId_++, m.json);
    ++published_;
    any = true;
    for (const std::shared_ptr<Client>& c : clients_) {
      if (c->buffer.overflowed()) continue;
      if (!c->buffer.append(frame)) ++dropped_;
    }
  }
  if (any) changed_.notify_all();
}

void EventHub::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = true;
  changed_.notify_all();
}

std::size_t EventHub::clients() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return clients_.size();
}

std::uint64_t EventHub::published() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_;
}

std::uint64_t EventHub::droppedClients() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

bool EventHub::firstTime(const std::string& key) {
  if (!recent_.insert(key).second) return false;
  recentOrder_.push_back(key);
  if (recentOrder_.size() > kRecentKeys) {
    recent_.erase(recentOrder_.front());
    recentOrder_.pop_front();
  }
  return true;
}

}  // namespace fsrelay::http
