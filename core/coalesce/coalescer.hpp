// The coalescer: merges the filtered events of one root into at most one pending change per path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fsrelay/plugin.hpp>

namespace fsrelay {

// What the watcher saw, reduced to what matters for merging.
enum class ChangeKind : std::uint8_t {
  Write,   // file data may still be changing (IN_CREATE of a regular file, IN_MODIFY)
  Settle,  // the writer closed the file (IN_CLOSE_WRITE): its data is complete
  Update,  // a complete change: attrib, a new directory, a symlink, a path found by a scan
  Delete,  // the path is gone (IN_DELETE, a move out of the root)
};

struct PendingChange {
  sdk::Op op;              // Upsert, Delete, or Move (oldPath -> path, both still as in the source)
  bool isDir = false;
  std::string path;        // relative to the root
  std::string oldPath;     // Move only
  std::int64_t wallNs = 0; // wall-clock time of the last source event
};

// Pure and single-threaded: time comes in as nowMs (a monotonic clock in milliseconds) so tests drive it.
// Costs O(log n) per event in the number n of pending paths, never a scan of the queue.
class Coalescer {
 public:
  struct Options {
    std::int64_t tempHoldMs = 1000;   // a temp-file name waits this long before it is ready
    std::int64_t writeHoldMs = 2000;  // a file still being written is ready at the latest this long after its first write
    std::function<bool(std::string_view baseName)> isTemp;  // empty: no temp names
  };

  explicit Coalescer(Options options);

  // born: the event created the path (IN_CREATE, IN_MOVED_TO, a new directory's scan), so the targets
  // did not have it when this pending window began: a later Delete cancels it instead of sending it.
  void add(std::string_view path, ChangeKind kind, bool isDir, bool born, std::int64_t nowMs, std::int64_t wallNs);
  // A rename inside the root, paired by cookie. The old path's pending changes (and, for a directory, its
  // children's) are dropped; the new path becomes one Upsert, emitted as Move while the pair stays intact.
  void move(std::string_view from, std::string_view to, bool isDir, std::int64_t nowMs, std::int64_t wallNs);

  // Removes and returns up to max changes whose time has come. Order: by readiness.
  std::vector<PendingChange> takeReady(std::int64_t nowMs, std::size_t max = SIZE_MAX);
  // Removes and returns everything pending, ready or not (shutdown, overflow).
  std::vector<PendingChange> takeAll();
  // The earliest time a pending change becomes ready; nullopt when nothing is pending.
  std::optional<std::int64_t> nextDeadline() const;
  std::size_t size() const;
  // Every path with a pending change (for the journal's compaction of a daemon that is never idle).
  std::vector<std::string> pendingPaths() const;

  // While a full sync of the root is in flight, a create+delete pair may have reached the target through
  // it: with precise deletes on, such a pair yields a Delete instead of nothing.
  void setPreciseDeletes(bool on);

  // Gives back what a burst grew: the slot and queue arrays keep their peak size (~150 bytes per change
  // pending at the peak) for reuse. Does nothing while a change is pending.
  void releaseMemory();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace fsrelay
