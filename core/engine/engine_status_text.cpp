// The daemon's state for people (`fsrelay status`) and the counts behind the service manager's status line.
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>

#include "core/engine/engine.hpp"
#include "core/engine/engine_root.hpp"
#include "core/engine/target_state.hpp"
#include "core/util/escape.hpp"
#include "core/util/version_info.hpp"

namespace fsrelay {

std::string Engine::statusText() const {
  std::shared_lock lock(controlMutex_);
  if (closing_) return "fsrelay is stopping\nstate: stopping\n";
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  const std::int64_t nowUnix = std::time(nullptr);
  std::size_t inSync = 0;
  std::string body;
  for (const auto& root : roots_) {
    body += "root " + escapeBytes(root->conf.watch) + ": " +
            (root->usesFanotify() ? std::string("watched with fanotify (one mark on its file system)")
                               : std::to_string(root->watches.load()) + " directories watched") +
            "\n";
    for (const Target* t : root->targets) {
      const std::size_t failLogged = failLog_->sizeFor(t->name());
      const TargetStats s = t->stats();
      if (classifyTarget(s, failLogged) == TargetState::InSync) ++inSync;
      body += "  " + escapeBytes(t->name()) + ": " + describeTarget(s, failLogged, nowUnix) + "\n";
    }
  }
  std::string out = std::string("fsrelay ") + FSRELAY_VERSION + ", pid " + std::to_string(::getpid()) + ", up " +
                    ageText(uptime) + "\n";
  // `fsrelay status` takes its exit code from this line: 0 only for "state: in sync".
  const std::string counts = std::to_string(inSync) + " of " + std::to_string(targets_.size()) + " targets in sync";
  if (!ready_) out += "state: starting (watches or the initial full sync not done yet); " + counts + "\n";
  else if (inSync == targets_.size()) out += "state: in sync (" + counts + ")\n";
  else out += "state: not in sync (" + counts + ")\n";
  out += body;
  out += "fail log " + escapeBytes(failLog_->path()) + ": " + std::to_string(failLog_->size()) + " entries\n";
  return out;
}

EngineSummary Engine::summary() const {
  std::shared_lock lock(controlMutex_);
  EngineSummary sum;
  if (closing_) return sum;
  sum.ready = ready_;
  sum.targets = targets_.size();
  for (const auto& root : roots_) {
    if (root->usesFanotify()) ++sum.fanotifyRoots;
    else sum.dirs += root->watches.load();
  }
  for (const auto& t : targets_) {
    const TargetStats s = t->stats();
    const std::size_t failLogged = failLog_->sizeFor(t->name());
    sum.queued += s.queued;
    const TargetState state = classifyTarget(s, failLogged);
    if (state == TargetState::InSync) ++sum.inSync;
    if (state == TargetState::Failing) ++sum.failing;
    if (std::string_view(s.fullSync) == "running") ++sum.fullSyncs;
  }
  sum.failLogEntries = failLog_->size();
  return sum;
}

}  // namespace fsrelay
