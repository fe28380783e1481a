// `fsrelay status` over the control socket (core/control); the exit-code rule lives in the daemon's state line.
#include "core/cli/status_client.hpp"

#include <unistd.h>

#include <iostream>

#include "core/cli/run_loop.hpp"
#include "core/config/config.hpp"
#include "core/control/unix_socket.hpp"

namespace fsrelay {

int statusExitCode(std::string_view text) {
  // The daemon's statusText() writes one "state: ..." line; in sync is "state: in sync (...)".
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (line.starts_with("state: ")) return line.starts_with("state: in sync") ? kStatusInSync : kStatusNotInSync;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return kStatusNotInSync;
}

StatusReply askDaemon(const std::string& socketPath, StatusFormat format, std::chrono::milliseconds timeout) {
  StatusReply reply;
  int err = 0;
  int fd = connectUnix(socketPath, &reply.error, &err);
  if (fd < 0) return reply;
  reply.answered = true;
  const Deadline deadline = std::chrono::steady_clock::now() + timeout;
  if (!writeAll(fd, controlRequest(format), deadline) ||
      !readUntil(fd, &reply.body, false, 64u << 20, deadline)) {
    reply.error = "the daemon on " + socketPath + " did not answer in time";
  }
  ::close(fd);
  return reply;
}

int runStatusCommand(const CliOptions& options) {
  LoadResult loaded = loadConfig(options.configPath);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == Diagnostic::Severity::Error) std::cerr << d.format() << "\n";
  if (!loaded.config) {
    std::cerr << "fsrelay status: " << options.configPath << " has errors; cannot tell where its daemon listens\n";
    return kStatusBadConfig;
  }
  const std::string socketPath = controlSocketPath(stateDirFor(*loaded.config, options));
  const StatusFormat format = options.json ? StatusFormat::Json : StatusFormat::Text;
  StatusReply reply = askDaemon(socketPath, format);
  if (!reply.answered) {
    std::cerr << "fsrelay status: no fsrelay answers on " << socketPath << " (" << reply.error << ").\n"
              << "Start one for this configuration: fsrelay -r -o " << options.configPath
              << " (foreground), fsrelay -d -r -o " << options.configPath
              << " (background), or its systemd unit (docs/service.md).\n";
    return kStatusNoDaemon;
  }
  if (!reply.error.empty()) {
    std::cerr << "fsrelay status: " << reply.error << "\n";
    return kStatusNotInSync;
  }
  std::cout << reply.body << std::flush;
  if (format == StatusFormat::Text) return statusExitCode(reply.body);
  // The JSON document is printed as the daemon made it; the verdict comes from the same rule as for the text,
  // asked for a moment later (one more local round trip) rather than from a second, JSON-side copy of the rule.
  StatusReply text = askDaemon(socketPath, StatusFormat::Text);
  return text.answered && text.error.empty() ? statusExitCode(text.body) : kStatusNotInSync;
}

}  // namespace fsrelay
