// A target's queued changes: slots, arrival order and the two indexes (see target_queue.hpp).
#include "core/dispatch/target_queue.hpp"

#include <algorithm>
#include <cassert>

namespace fsrelay {
namespace {

// The directories' table holds hashes only: two directories that share one share a count, which can
// make anyBelow() say yes for nothing but never no for something.
constexpr auto kAnyDir = [](std::uint32_t) { return true; };

}  // namespace

TargetQueue::Slot TargetQueue::push(QueuedChange item, bool front) {
  Slot s = free_;
  if (s == kNone) {
    s = static_cast<Slot>(nodes_.size());
    assert(s != kNone);
    nodes_.emplace_back();
  } else {
    free_ = nodes_[s].next;
  }
  Node& n = nodes_[s];
  n.item = std::move(item);
  n.seq = seq_++;
  n.prev = front ? kNone : tail_;
  n.next = front ? head_ : kNone;
  (n.prev == kNone ? head_ : nodes_[n.prev].next) = s;
  (n.next == kNone ? tail_ : nodes_[n.next].prev) = s;
  ++size_;
  const std::string& path = n.item.change.path;
  bool added = false;
  Slot& named = index_.findOrAdd(countDirs(path, +1), samePath(path), &added);
  if (added || !front) named = s;
  return s;
}

TargetQueue::Slot TargetQueue::named(std::string_view path, std::uint64_t hash) const {
  const Slot* s = index_.find(hash, samePath(path));
  return s ? *s : kNone;
}

std::uint64_t TargetQueue::countDirs(std::string_view path, int delta) {
  return PathHash::walk(path, [&](std::size_t, std::uint64_t dir) {
    if (delta > 0) {
      bool added = false;
      ++dirs_.findOrAdd(dir, kAnyDir, &added);
    } else {
      std::uint32_t* count = dirs_.find(dir, kAnyDir);
      assert(count && *count > 0);
      if (--*count == 0) dirs_.erase(count);
    }
  });
}

void TargetQueue::unlink(Slot s) {
  Node& n = nodes_[s];
  const std::string& path = n.item.change.path;
  Slot* named = index_.find(countDirs(path, -1), samePath(path));
  if (named && *named == s) index_.erase(named);
  (n.prev == kNone ? head_ : nodes_[n.prev].next) = n.next;
  (n.next == kNone ? tail_ : nodes_[n.next].prev) = n.prev;
  --size_;
}

void TargetQueue::release(Slot s) {
  nodes_[s].item = QueuedChange{};  // its strings go now, not when the slot is reused
  nodes_[s].prev = kNone;
  nodes_[s].next = free_;
  free_ = s;
  // A backlog that drained gives its memory back; a small queue keeps it for the next burst.
  if (size_ == 0 && nodes_.size() > kKeepSlots) {
    nodes_.clear();
    free_ = kNone;
  }
  if (size_ == 0 && index_.capacity() > 2 * kKeepSlots) index_.clear();
  if (size_ == 0 && dirs_.capacity() > 2 * kKeepSlots) dirs_.clear();
}

QueuedChange TargetQueue::take(Slot s) {
  unlink(s);
  QueuedChange out = std::move(nodes_[s].item);
  release(s);
  return out;
}

void TargetQueue::erase(Slot s) {
  unlink(s);
  release(s);
}

bool TargetQueue::anyBelow(std::uint64_t dirHash) const {
  return dirs_.find(dirHash, kAnyDir) != nullptr;
}

std::vector<TargetQueue::Slot> TargetQueue::below(std::string_view dir) const {
  // A walk over the whole queue: only a directory replaced by a non-directory while changes below it
  // are queued gets here (anyBelow() keeps every other change out), and each such change also costs an
  // lstat and drops the items it finds.
  std::vector<Slot> out;
  for (Slot s = head_; s != kNone; s = nodes_[s].next) {
    const std::string& p = nodes_[s].item.change.path;
    if (p.size() > dir.size() && p[dir.size()] == '/' && p.starts_with(dir)) out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [this](Slot a, Slot b) {
    const Node& x = nodes_[a];
    const Node& y = nodes_[b];
    int c = x.item.change.path.compare(y.item.change.path);
    return c != 0 ? c < 0 : x.seq < y.seq;
  });
  return out;
}

std::vector<QueuedChange> TargetQueue::takeAll() {
  std::vector<QueuedChange> out;
  out.reserve(size_);
  for (Slot s = head_; s != kNone; s = nodes_[s].next) out.push_back(std::move(nodes_[s].item));
  nodes_.clear();
  // As release() does when the queue drains one item at a time: a small table is kept for the next burst.
  if (index_.capacity() > 2 * kKeepSlots) index_.clear(); else index_.wipe();
  if (dirs_.capacity() > 2 * kKeepSlots) dirs_.clear(); else dirs_.wipe();
  free_ = head_ = tail_ = kNone;
  size_ = 0;
  return out;
}

}  // namespace fsrelay
