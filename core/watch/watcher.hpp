// The event-source interface: inotify or fanotify (core/watch/watcher_factory picks one); a fake for tests plugs in here too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/coalesce/coalescer.hpp"

namespace fsrelay {

// Receives the changes of one watched root, already filtered and reduced to ChangeKind. Called on the
// event-loop thread only.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  virtual void onChange(std::string_view rel, ChangeKind kind, bool isDir, bool born) = 0;
  virtual void onMove(std::string_view from, std::string_view to, bool isDir) = 0;
  // Events were lost (queue overflow) or could not be seen (the root itself was gone for a while): the
  // root must be rescanned and fully synced. rootReturned says which, for the log.
  virtual void onOverflow(bool rootReturned = false) = 0;
};

class Watcher {
 public:
  virtual ~Watcher() = default;
  // Watches the whole tree. On failure returns false with a message saying what to do.
  virtual bool start(std::string* error) = 0;
  virtual int fd() const = 0;  // readable when events wait
  virtual void readEvents(WatchSink& sink, std::int64_t nowMs) = 0;
  // Deadline of held state (a rename's first half waiting for its pair); tick() settles it.
  virtual std::optional<std::int64_t> nextDeadline() const = 0;
  virtual void tick(WatchSink& sink, std::int64_t nowMs) = 0;
  // Re-walks the tree and watches what is missing (after an overflow); reports nothing itself.
  virtual void rescan() = 0;
  // Kernel watches held (inotify: one per directory; fanotify: none, its one mark covers the file system).
  virtual std::size_t watchCount() const = 0;
  virtual const char* backend() const = 0;  // "inotify" or "fanotify", for logs, --check and status
  // Directories that could not be watched (the watch limit was reached) and are covered by periodic scans
  // instead: the first max of them as absolute paths, and how many there are. Event-loop thread only.
  virtual std::vector<std::string> unwatched(std::size_t /*max*/) const { return {}; }
  virtual std::size_t unwatchedCount() const { return 0; }
  // <watchLimit>: what to do when a per-directory watch cannot be had (backends without such watches ignore it).
  virtual void setWatchLimit(bool /*scan*/, int /*scanSeconds*/) {}
  // Called once the daemon is idle after a burst: drop what only speeds up a burst (fanotify's directory
  // cache), so memory goes back to the idle figure. The next event rebuilds what it needs.
  virtual void releaseBurstMemory() {}
};

}  // namespace fsrelay
