// `fsrelay status`: asks the daemon running with a configuration over its control socket, prints, exits 0/1/3.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/cli/options.hpp"
#include "core/control/control_protocol.hpp"

namespace fsrelay {

inline constexpr int kStatusInSync = 0;     // every target in sync
inline constexpr int kStatusNotInSync = 1;  // some behind, failing, in a full sync, or with fail-log entries
inline constexpr int kStatusBadConfig = 2;  // the configuration (needed for the state folder) does not load
inline constexpr int kStatusNoDaemon = 3;   // nothing answers on the control socket

// The exit code a text answer stands for: 0 when its "state:" line says "in sync", else 1 (starting,
// reloading, stopping, not in sync, or no state line at all).
int statusExitCode(std::string_view text);

struct StatusReply {
  bool answered = false;  // false: nothing listens (*error says why)
  std::string body;
  std::string error;
};
StatusReply askDaemon(const std::string& socketPath, StatusFormat format,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The whole command: loads options.configPath only to find the state folder, asks, prints; returns the exit code.
int runStatusCommand(const CliOptions& options);

}  // namespace fsrelay
