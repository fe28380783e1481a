// sd_notify for Type=notify services: READY, WATCHDOG pings from the event loop, STATUS, RELOADING, STOPPING.
#pragma once

#include <cstdint>
#include <string>

#include "core/engine/engine_observer.hpp"

namespace fsrelay {

// Without NOTIFY_SOCKET in the environment, enabled() is false and the run loop does not install it: the
// engine then pays one null check per turn. Every method runs on the event-loop thread (docs/service.md).
class Notifier final : public EngineObserver {
 public:
  // shutdownSeconds: how long a reload's drain may take (<shutdown timeoutSeconds>); the watchdog is
  // stretched over it and the restart of the watches, then set back.
  explicit Notifier(int shutdownSeconds);

  bool enabled() const { return enabled_; }
  // The watchdog interval systemd asked for (WATCHDOG_USEC), 0 when none.
  std::uint64_t watchdogUsec() const { return watchdogUsec_; }

  void onReady(const Engine& engine, std::size_t retrying) override;
  std::int64_t onTurn(std::int64_t nowMs, const Engine& engine) override;
  void onStopping(bool reload) override;

 private:
  void send(const std::string& message);

  bool enabled_ = false;
  int shutdownSeconds_;
  std::uint64_t watchdogUsec_ = 0;
  std::int64_t pingEveryMs_ = 0;  // half the watchdog interval, as sd_watchdog_enabled(3) advises
  std::int64_t nextPingMs_ = 0;
  std::int64_t nextStatusMs_ = 0;
  std::string lastStatus_;
  bool stretched_ = false;  // WATCHDOG_USEC was raised for a reload
  bool warned_ = false;
};

}  // namespace fsrelay
