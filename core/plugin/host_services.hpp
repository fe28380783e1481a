// The host side of the SDK: logging, shell-free spawning, metrics and the stop flag, one per instance.
#pragma once

#include <atomic>
#include <string>

#include <fsrelay/plugin.hpp>

#include "core/dispatch/sync_progress.hpp"

namespace fsrelay {

// Shutdown state shared by every instance: stopping once SIGTERM arrived; abort once the flush
// deadline has passed and running children must be ended.
struct Lifecycle {
  std::atomic<bool> stopping{false};
  std::atomic<bool> abort{false};
};

// What the daemon as a whole offers plugins through their Host (implemented by the engine).
class HostControl {
 public:
  virtual std::string statusJson() const = 0;
  virtual std::string metricsText() const = 0;
  // Thread-safe: called from plugin threads. Empty root/target match everything.
  virtual bool requestFullSync(const std::string& root, const std::string& target, std::string* error) = 0;

 protected:
  ~HostControl() = default;
};

class HostServices final : public sdk::Host {
 public:
  HostServices(std::string instanceName, const Lifecycle& lifecycle, HostControl* control = nullptr)
      : name_(std::move(instanceName)), life_(lifecycle), control_(control) {}

  void log(sdk::LogLevel level, sdk::Bytes message) noexcept override;
  void spawn(const sdk::SpawnRequest& request, sdk::SpawnResult* result) noexcept override;
  void count(const char* name, std::int64_t delta) noexcept override;
  bool stopping() const noexcept override { return life_.stopping.load(); }
  bool aborting() const noexcept override { return life_.abort.load(); }
  void snapshot(sdk::SnapshotKind kind, sdk::SnapshotSink sink, void* context) noexcept override;
  bool requestFullSync(sdk::Bytes root, sdk::Bytes target, char* error, std::size_t errorCapacity) noexcept override;
  void spawnStreaming(const sdk::SpawnRequest& request, sdk::OutputSink sink, void* context,
                      sdk::SpawnResult* result) noexcept override;
  void progress(const sdk::Progress& progress) noexcept override;

  // What the plugin last reported; its target begins and ends each full sync on it.
  SyncProgress& syncProgress() { return progress_; }
  const SyncProgress& syncProgress() const { return progress_; }

 private:
  std::string name_;
  const Lifecycle& life_;
  HostControl* control_;
  SyncProgress progress_;
};

}  // namespace fsrelay
