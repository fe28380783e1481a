// A target's queued changes: arrival order, the newest item of each path, and the items below a directory.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/coalesce/coalescer.hpp"
#include "core/dispatch/flat_hash.hpp"
#include "core/dispatch/path_hash.hpp"

namespace fsrelay {

struct QueuedChange {
  PendingChange change;
  int attempts = 0;
  // Paths of queued changes this one made moot and dropped: changes below a path that is now a
  // non-directory (its Upsert replaces the whole old tree on the target). Delivering this item settles
  // them too (their fail-log entries go), and while it is queued the target may still hold a directory
  // at change.path whose entries no queued change names any more.
  std::vector<std::string> covered;
};

// Every change the engine hands a target passes through here, so nothing allocates per item beyond the
// change's own strings: items live in reused slots, and both indexes are open-addressing tables that
// hold slot numbers and hashes, never copies of (or views into) the paths. A path may therefore be
// assigned again while its item is queued, as long as its value stays the same. Not thread-safe: the
// target's mutex guards it.
class TargetQueue {
 public:
  using Slot = std::uint32_t;
  static constexpr Slot kNone = ~Slot{0};

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // Arrival order: front() first, then next() until kNone.
  Slot front() const { return head_; }
  Slot next(Slot s) const { return nodes_[s].next; }
  // Valid until the item leaves the queue (pushing others does not move it). Its change.path must keep
  // its value while it is queued: the indexes find it by that value.
  QueuedChange& at(Slot s) { return nodes_[s].item; }
  const QueuedChange& at(Slot s) const { return nodes_[s].item; }

  // At the back: the newest item, which names its path. At the front: an older one coming back from a
  // failed delivery, which names its path only when no queued item does.
  Slot push(QueuedChange item, bool front);
  // The item that names path, or kNone. hash: PathHash::of(path), when the caller has it already.
  Slot named(std::string_view path) const { return named(path, PathHash::of(path)); }
  Slot named(std::string_view path, std::uint64_t hash) const;
  // The first item, going down from the top, that names a proper ancestor of path and that accept(slot,
  // ancestor) takes; kNone if none does. One pass over path, however deep, which also yields
  // PathHash::of(path) (*pathHash).
  template <class Accept>
  Slot namedAbove(std::string_view path, Accept accept, std::uint64_t* pathHash) const {
    Slot found = kNone;
    *pathHash = PathHash::walk(path, [&](std::size_t length, std::uint64_t hash) {
      if (found != kNone) return;
      std::string_view dir = path.substr(0, length);
      const Slot* s = index_.find(hash, samePath(dir));
      if (s && accept(*s, dir)) found = *s;
    });
    return found;
  }
  QueuedChange take(Slot s);
  void erase(Slot s);
  // Some queued item's path lies below dir (starts with dir + "/"). Exact when false; when true it is
  // exact but for a 64-bit hash collision, which below() then finds empty.
  bool anyBelow(std::string_view dir) const { return anyBelow(PathHash::of(dir)); }
  bool anyBelow(std::uint64_t dirHash) const;
  // The items below dir, by path and, for equal paths, in the order they were pushed.
  std::vector<Slot> below(std::string_view dir) const;
  // No two queued items share a path (each names its own).
  bool pathsDistinct() const { return index_.size() == size_; }
  // Every item in arrival order; the queue is empty afterwards.
  std::vector<QueuedChange> takeAll();

 private:
  struct Node {
    QueuedChange item;
    Slot prev = kNone;
    Slot next = kNone;  // also links the free slots
    std::uint64_t seq = 0;
  };
  void unlink(Slot s);
  void release(Slot s);
  static constexpr std::size_t kKeepSlots = 4096;
  // Counts (delta) the directories above path: each proper prefix that ends before a '/'. Returns the
  // hash of path itself, which the same pass computes.
  std::uint64_t countDirs(std::string_view path, int delta);
  auto samePath(std::string_view path) const {
    return [this, path](Slot s) { return nodes_[s].item.change.path == path; };
  }

  std::deque<Node> nodes_;  // a deque: growing it moves no item, so references stay valid
  Slot free_ = kNone;
  Slot head_ = kNone;
  Slot tail_ = kNone;
  std::size_t size_ = 0;
  std::uint64_t seq_ = 0;
  FlatHashTable<Slot> index_;         // path -> the item that names it
  FlatHashTable<std::uint32_t> dirs_;  // directory (by hash) -> queued items below it
};

}  // namespace fsrelay
