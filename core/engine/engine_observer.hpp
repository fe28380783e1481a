// What the event loop tells an outside observer (the systemd notifier): ready, each turn, stop beginning.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fsrelay {

class Engine;

// A cheap picture of the whole daemon, for one status line (Engine::summary()).
struct EngineSummary {
  bool ready = false;
  std::size_t dirs = 0;          // watched directories, every inotify root
  std::size_t fanotifyRoots = 0; // roots seen through a fanotify mark (no per-directory watches to count)
  std::size_t queued = 0;        // changes waiting, every target
  std::size_t targets = 0;
  std::size_t inSync = 0;        // targets with nothing queued or in flight, not failing, no fail-log entries
  std::size_t failing = 0;       // targets whose last delivery failed
  std::size_t fullSyncs = 0;     // full syncs running
  std::size_t failLogEntries = 0;
};

// Every call comes from the engine's event-loop thread and must not block: the loop waits for it.
class EngineObserver {
 public:
  virtual ~EngineObserver() = default;
  // Once per engine: every root is watched and every initial full sync is done or retrying (`retrying` of them).
  virtual void onReady(const Engine& engine, std::size_t retrying) = 0;
  // Every loop turn, nowMs on the steady clock in ms. Returns when (same clock) the observer wants the next
  // turn at the latest; the loop sleeps no longer than that.
  virtual std::int64_t onTurn(std::int64_t nowMs, const Engine& engine) = 0;
  // A stop begins (SIGTERM/SIGINT), or the stop before a reload (reload = true).
  virtual void onStopping(bool reload) = 0;
};

}  // namespace fsrelay
