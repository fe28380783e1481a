// The sd_notify messages and when they are sent; systemd's side is described in docs/service.md.
#include "core/service/notifier.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/engine/engine.hpp"
#include "core/log/log.hpp"
#include "core/service/status_line.hpp"

namespace fsrelay {
namespace {

std::uint64_t monotonicUsec() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

// A reload drains for at most the shutdown timeout, then watches the tree again and walks it for what changed
// meanwhile (docs/reload.md); the walk of a big tree takes minutes, so it gets this much on top.
constexpr std::uint64_t kReloadRestartUsec = 600ull * 1000000;

}  // namespace

Notifier::Notifier(int shutdownSeconds) : shutdownSeconds_(shutdownSeconds) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  if (!enabled_) return;
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdogUsec_ = usec;
    pingEveryMs_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(usec / 2000));
  }
}

void Notifier::send(const std::string& message) {
  int r = sd_notify(0, message.c_str());
  if (r < 0 && !warned_) {
    warned_ = true;  // once: a service manager that went away would otherwise fill the log
    log::warn("sd_notify to ", std::getenv("NOTIFY_SOCKET") ? std::getenv("NOTIFY_SOCKET") : "?", " failed: ",
              std::strerror(-r));
  }
}

void Notifier::onReady(const Engine& engine, std::size_t retrying) {
  const EngineSummary summary = engine.summary();
  std::string message = "READY=1\nSTATUS=" + serviceReadyLine(summary, retrying);
  if (stretched_) {
    message += "\nWATCHDOG_USEC=" + std::to_string(watchdogUsec_);
    stretched_ = false;
  }
  send(message);
  lastStatus_ = serviceStatusLine(summary);  // the "ready: ..." line stays until the counts change
}

std::int64_t Notifier::onTurn(std::int64_t nowMs, const Engine& engine) {
  // From the loop itself, so a loop that stops turning stops the pings and systemd restarts the service.
  if (pingEveryMs_ > 0 && nowMs >= nextPingMs_) {
    send("WATCHDOG=1");
    nextPingMs_ = nowMs + pingEveryMs_;
  }
  // At most once a second, and only when the line changed: summary() locks every target briefly.
  if (nowMs >= nextStatusMs_) {
    nextStatusMs_ = nowMs + 1000;
    std::string line = serviceStatusLine(engine.summary());
    if (line != lastStatus_) {
      send("STATUS=" + line);
      lastStatus_ = std::move(line);
    }
  }
  return pingEveryMs_ > 0 ? nextPingMs_ : nowMs + 60000;
}

void Notifier::onStopping(bool reload) {
  if (!reload) {
    send("STOPPING=1\nSTATUS=stopping: delivering pending changes");
    return;
  }
  // MONOTONIC_USEC lets Type=notify-reload (systemd 253+) tell this reload from an older one.
  std::string message = "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonicUsec()) +
                        "\nSTATUS=reloading: delivering pending changes, then starting the new configuration";
  if (watchdogUsec_ > 0) {
    // The loop does not turn while the old engine drains and the new one starts: no pings for that long.
    const std::uint64_t stretch = static_cast<std::uint64_t>(shutdownSeconds_) * 1000000 + kReloadRestartUsec;
    message += "\nWATCHDOG_USEC=" + std::to_string(std::max(stretch, watchdogUsec_));
    stretched_ = true;
  }
  send(message);
  lastStatus_.clear();
}

}  // namespace fsrelay
