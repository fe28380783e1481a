// The host side of the SDK: logging, shell-free spawning, metrics and the stop flag, one per instance.
#pragma once

#include <atomic>
#include <string>

#include <fsrelay/plugin.hpp>

namespace fsrelay {

// Shutdown state shared by every instance: stopping once SIGTERM arrived; abort once the flush
// deadline has passed and running children must be ended.
struct Lifecycle {
  std::atomic<bool> stopping{false};
  std::atomic<bool> abort{false};
};

class HostServices final : public sdk::Host {
 public:
  HostServices(std::string instanceName, const Lifecycle& lifecycle) : name_(std::move(instanceName)), life_(lifecycle) {}

  void log(sdk::LogLevel level, sdk::Bytes message) noexcept override;
  void spawn(const sdk::SpawnRequest& request, sdk::SpawnResult* result) noexcept override;
  void count(const char* name, std::int64_t delta) noexcept override;
  bool stopping() const noexcept override { return life_.stopping.load(); }

 private:
  std::string name_;
  const Lifecycle& life_;
};

}  // namespace fsrelay
