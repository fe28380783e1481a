// STATUS= lines for the service manager, built from the engine's summary.
#include "core/service/status_line.hpp"

namespace fsrelay {
namespace {

std::string counted(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// A fanotify root has no directory count: its one mark covers the whole file system.
std::string watching(const EngineSummary& s) {
  if (s.fanotifyRoots == 0) return "watching " + std::to_string(s.dirs) + " dirs";
  std::string out = "watching " + counted(s.fanotifyRoots, "root", "roots") + " with fanotify";
  if (s.dirs > 0) out += " and " + std::to_string(s.dirs) + " dirs with inotify";
  return out;
}

std::string body(const EngineSummary& s) {
  std::string out = watching(s) + "; queue " + std::to_string(s.queued) + "; " + std::to_string(s.inSync) + "/" +
                    std::to_string(s.targets) + " targets in sync";
  if (s.fullSyncs > 0) out += "; " + counted(s.fullSyncs, "full sync", "full syncs") + " running";
  if (s.failing > 0) out += "; " + std::to_string(s.failing) + " failing";
  if (s.failLogEntries > 0) out += "; fail log " + std::to_string(s.failLogEntries);
  return out;
}

}  // namespace

std::string serviceStatusLine(const EngineSummary& s) { return (s.ready ? "" : "starting: ") + body(s); }

std::string serviceReadyLine(const EngineSummary& s, std::size_t retrying) {
  std::string out = "ready: " + body(s);
  if (retrying > 0)
    out += "; " + std::to_string(retrying) +
           (retrying == 1 ? " target retries its" : " targets retry their") + " initial full sync in the background";
  return out;
}

}  // namespace fsrelay
