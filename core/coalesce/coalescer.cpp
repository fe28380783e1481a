// The coalescer: one pending change per path, a readiness queue with lazy invalidation, move pairing.
//
// Contract with the consumers (what makes "apply every taken change" bring a target back to the source):
//  - Upsert(p) makes the target's p equal to the source's p at transfer time: copied if present,
//    removed if the source no longer has it. It need not recurse into a directory (rsync -d does not).
//  - Delete(p) removes p and its subtree, for a path the source no longer has. The one exception is
//    the replaced-directory signal: a directory Delete of a path the source has again (see
//    Entry::replaced), which the dispatcher answers with a resync of the root.
//  - Move(o -> p) is Delete(o) followed by p sent with its subtree; a plugin may rename o to p first.
// tests/unit/coalescer_test.cpp checks this under both readings of Upsert (with and without the
// subtree). The changes of one takeReady() commute: their order matters for efficiency only.
#include "core/coalesce/coalescer.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <map>
#include <utility>

namespace fsrelay {

namespace {

std::string_view baseName(std::string_view path) {
  // memrchr: string_view::rfind walks byte by byte, and this runs for every new path.
  const void* slash = path.empty() ? nullptr : ::memrchr(path.data(), '/', path.size());
  return slash ? path.substr(static_cast<const char*>(slash) - path.data() + 1) : path;
}

}  // namespace

struct Coalescer::Impl {
  // Ordered by path so that a directory's pending descendants ("dir/" ...) form one contiguous range.
  using Index = std::map<std::string, std::uint32_t, std::less<>>;

  struct Entry {
    Index::iterator it;               // its key is the entry's path
    sdk::Op op = sdk::Op::Upsert;     // Upsert or Delete; Move exists only on the way out
    bool live = false;
    bool isDir = false;
    bool dirSeen = false;   // was a directory at some point: a Delete may have a subtree to remove
    bool born = false;      // the targets did not have the path when the entry began (see bornNow)
    bool writing = false;   // a writer may still be changing the data
    bool temp = false;      // an editor temp-file name: held tempHoldMs after its last event
    bool covered = false;   // a Delete kept under a deleted or renamed directory, whose change covers it
    // A directory whose targets may hold entries that no pending change names any more: deleted and
    // made again (or renamed onto) before its Delete went out, renamed back to its own name, renamed
    // over an emptied directory, or renamed from a name that came back. Sending it without recursion
    // would leave those entries, so it goes out as a directory Delete of a path the source has again,
    // and the dispatcher resyncs the root for it.
    bool replaced = false;
    std::uint64_t bornEpoch = 0;
    std::int64_t firstWriteMs = 0;
    std::int64_t readyAt = 0;
    std::int64_t wallNs = 0;
    std::uint64_t seq = 0;  // seq of the entry's current queue item; any other item for it is stale
    std::string origin;     // Upsert only: renamed from this path, still to be deleted on the targets
    std::string movedTo;    // Delete only: the Upsert whose origin this is (checked both ways when used)
  };

  struct Item {
    std::int64_t readyAt;
    std::uint64_t seq;  // also the FIFO order among equal deadlines
    std::uint32_t slot;
  };
  struct Later {  // std heap algorithms keep the largest on top; invert for a min-heap
    bool operator()(const Item& a, const Item& b) const {
      return a.readyAt != b.readyAt ? a.readyAt > b.readyAt : a.seq > b.seq;
    }
  };

  explicit Impl(Options o) : options(std::move(o)) {}

  Options options;
  Index index;
  std::vector<Entry> slots;  // entries live in reusable slots so queue items can name them by number
  std::vector<std::uint32_t> freeSlots;
  // The readiness queue, ordered by (readyAt, seq): most changes are due when they are scheduled, in
  // seq order, and go to a FIFO (`due`, from dueHead on) instead of paying O(log n) in the heap, which
  // holds the rest (write and temp holds, the Delete of a rename waiting for its partner).
  std::vector<Item> heap;
  std::vector<Item> due;
  std::size_t dueHead = 0;
  std::int64_t latestNow = std::numeric_limits<std::int64_t>::min();
  std::uint64_t nextSeq = 1;
  std::string prefixBuffer;
  bool resyncAhead = false;  // take() emitted a replaced directory
  // Bumped each time precise deletes are switched on, and after a replaced directory went out: a full
  // sync that starts then may copy any path pending at that moment, so "born" recorded before it can
  // no longer cancel a Delete.
  std::uint64_t epoch = 0;
  bool precise = false;

  bool bornNow(const Entry& e) const { return e.born && e.bornEpoch == epoch && !precise; }

  std::optional<std::uint32_t> find(std::string_view path) const {
    auto it = index.find(path);
    if (it == index.end()) return std::nullopt;
    return it->second;
  }

  // Where path is in the index or would go: one descent serves the lookup, the range of its
  // descendants (underBegin) and the insertion (create's hint). String compares down the tree are most
  // of an event's cost.
  struct Spot {
    Index::iterator it;  // path's entry, or the first key after it
    bool found;
    std::optional<std::uint32_t> slot() const { return found ? std::optional(it->second) : std::nullopt; }
    Index::iterator after() const { return found ? std::next(it) : it; }
  };
  Spot locate(std::string_view path) {
    auto it = index.lower_bound(path);
    return Spot{it, it != index.end() && it->first == path};
  }

  bool isTempName(std::string_view path, bool isDir) const {
    // Editors make temp files, not directories: a directory is never held back by its name.
    return !isDir && options.isTemp && options.isTemp(baseName(path));
  }

  // hint: the first key after path, when known (see Spot).
  std::uint32_t create(std::string_view path, bool isDir, bool born) { return create(path, isDir, born, index.end()); }
  std::uint32_t create(std::string_view path, bool isDir, bool born, Index::iterator hint) {
    std::uint32_t slot;
    if (!freeSlots.empty()) {
      slot = freeSlots.back();
      freeSlots.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots.size());
      slots.emplace_back();
    }
    std::size_t before = index.size();
    auto it = index.emplace_hint(hint, std::piecewise_construct, std::forward_as_tuple(path),
                                 std::forward_as_tuple(slot));
    assert(index.size() == before + 1);
    (void)before;
    Entry& e = slots[slot];
    e = Entry{};
    e.it = it;
    e.live = true;
    e.isDir = isDir;
    e.dirSeen = isDir;
    e.born = born && !precise;
    e.bornEpoch = epoch;
    e.temp = isTempName(path, isDir);
    return slot;
  }

  void erase(std::uint32_t slot) {
    index.erase(slots[slot].it);
    freeSlot(slot);
  }

  // erase(), handing over the entry's path instead of freeing it (for a change that goes out).
  std::string release(std::uint32_t slot) {
    std::string path = std::move(index.extract(slots[slot].it).key());
    freeSlot(slot);
    return path;
  }

  void freeSlot(std::uint32_t slot) {
    Entry& e = slots[slot];
    assert(e.live);
    e.live = false;
    e.seq = 0;  // its queue item is now stale
    e.origin.clear();
    e.movedTo.clear();
    freeSlots.push_back(slot);
  }

  // "dir/", built in a reused buffer: the key range of dir's descendants starts there. The root is
  // "." (as in sdk::Event) and every other path descends from it.
  std::string_view childPrefix(std::string_view dir) {
    if (dir == ".") return {};
    prefixBuffer.assign(dir);
    prefixBuffer.push_back('/');
    return prefixBuffer;
  }

  // The first key under dir ("dir/..."), from `after`, the first key after dir's own (Spot::after).
  // Names that extend dir ("dir.old", "dir-2/x") sort between the two: a few are stepped over, more
  // cost a descent. Usually the key after dir does not start with dir at all, and nothing is under it.
  Index::iterator underBegin(std::string_view dir, Index::iterator after) {
    std::string_view prefix = childPrefix(dir);
    if (prefix.empty()) return index.begin();
    for (int step = 0; step < 4; ++step, ++after) {
      if (after == index.end()) return after;
      std::string_view key = after->first;
      // Keys that start with dir follow it in one block: past it, or past "dir/", the range is empty.
      if (!key.starts_with(dir) || key.size() == dir.size() || key[dir.size()] >= '/') return after;
    }
    return index.lower_bound(prefix);
  }

  // Drops the pending entries strictly under dir: O(log n + k). The Delete of a path renamed out of dir
  // earlier is kept, so that its rename still goes out as a Move (for a directory, the Move is what
  // tells a plugin to send the new subtree), unless keepRenamedOut is false. Returns whether it
  // erased anything (which may take the iterator of a Spot for dir with it).
  bool eraseUnder(std::string_view dir, bool keepRenamedOut = true) {
    return eraseUnder(dir, keepRenamedOut, index.lower_bound(childPrefix(dir)));
  }
  bool eraseUnder(std::string_view dir, bool keepRenamedOut, Index::iterator it) {
    std::string_view prefix = childPrefix(dir);
    bool erased = false;
    while (it != index.end() && std::string_view(it->first).starts_with(prefix)) {
      std::uint32_t slot = it->second;
      ++it;
      Entry& e = slots[slot];
      if (keepRenamedOut && e.op == sdk::Op::Delete) {
        // Kept only when the partner is outside dir: a partner inside goes too.
        auto t = partnerOf(e);
        if (t && !std::string_view(slots[*t].it->first).starts_with(prefix)) {
          e.covered = true;
          continue;
        }
      }
      erase(slot);
      erased = true;
    }
    return erased;
  }

  // The Upsert that `del` (a Delete) is the renamed-from half of, if the pair is still intact.
  std::optional<std::uint32_t> partnerOf(const Entry& del) const {
    if (del.movedTo.empty()) return std::nullopt;
    auto t = find(del.movedTo);
    if (!t) return std::nullopt;
    const Entry& te = slots[*t];
    if (te.op != sdk::Op::Upsert || te.origin != del.it->first) return std::nullopt;
    return t;
  }

  // Turns the pending Deletes under dir into Upserts. Returns true when one of them was a directory the
  // targets may still hold: the rename put a new tree where its old entries are.
  bool reviveUnder(std::string_view dir, std::int64_t nowMs) {
    bool oldDirectory = false;
    std::string_view prefix = childPrefix(dir);
    for (auto it = index.lower_bound(prefix); it != index.end() && std::string_view(it->first).starts_with(prefix);
         ++it) {
      Entry& e = slots[it->second];
      if (e.op != sdk::Op::Delete) continue;
      oldDirectory = oldDirectory || (e.dirSeen && !e.covered && !bornNow(e));
      e.op = sdk::Op::Upsert;
      e.replaced = false;  // its new type is unknown; the resync for `dir` covers it
      e.born = false;
      e.covered = false;
      e.movedTo.clear();
      scheduleUpsert(it->second, nowMs);
    }
    return oldDirectory;
  }

  // A directory that goes out may be sent with its subtree (always so for a Move), which can carry
  // paths created after it whose own changes are still pending: the targets may have those now, so they
  // are no longer born. O(k) in the pending entries under dir.
  void unbornUnder(std::string_view dir) {
    std::string_view prefix = childPrefix(dir);
    for (auto it = index.lower_bound(prefix); it != index.end() && std::string_view(it->first).starts_with(prefix);
         ++it) {
      slots[it->second].born = false;
    }
  }

  void setType(Entry& e, bool isDir) {
    if (e.isDir != isDir) {
      e.isDir = isDir;
      e.temp = isTempName(e.it->first, isDir);
    }
    e.dirSeen = e.dirSeen || isDir;
    if (isDir) e.writing = false;
  }

  void schedule(std::uint32_t slot, std::int64_t readyAt) {
    Entry& e = slots[slot];
    e.readyAt = readyAt;
    e.seq = nextSeq++;
    Item item{readyAt, e.seq, slot};
    if (readyAt <= latestNow && (dueHead == due.size() || readyAt >= due.back().readyAt)) {
      due.push_back(item);  // seq only grows: the FIFO stays in order
    } else {
      heap.push_back(item);
      std::push_heap(heap.begin(), heap.end(), Later{});
    }
    // Stale items pile up as entries are rescheduled; rebuilding from the live entries when they
    // outnumber them keeps the queue O(n) in size at O(1) amortized cost per push.
    if (heap.size() + (due.size() - dueHead) > 2 * index.size() + 64) compact();
  }

  void compact() {
    heap.clear();
    due.clear();
    dueHead = 0;
    for (std::uint32_t slot = 0; slot < slots.size(); ++slot) {
      const Entry& e = slots[slot];
      if (e.live && e.seq != 0) heap.push_back(Item{e.readyAt, e.seq, slot});
    }
    std::make_heap(heap.begin(), heap.end(), Later{});
  }

  bool valid(const Item& item) const {
    const Entry& e = slots[item.slot];
    return e.live && e.seq == item.seq;
  }

  // The queue's first valid item, dropping stale ones on the way; null when it is empty.
  const Item* top() {
    while (!heap.empty() && !valid(heap.front())) popHeap();
    while (dueHead < due.size() && !valid(due[dueHead])) popDue();
    const Item* h = heap.empty() ? nullptr : &heap.front();
    const Item* d = dueHead == due.size() ? nullptr : &due[dueHead];
    if (!h || !d) return h ? h : d;
    return Later{}(*h, *d) ? d : h;
  }

  void popTop() {
    if (dueHead < due.size() && (heap.empty() || !Later{}(due[dueHead], heap.front())))
      popDue();
    else
      popHeap();
  }

  void popHeap() {
    std::pop_heap(heap.begin(), heap.end(), Later{});
    heap.pop_back();
  }

  void popDue() {
    ++dueHead;
    // Reuse the array from its start once drained, or once its consumed part is most of it.
    if (dueHead == due.size()) {
      due.clear();
      dueHead = 0;
    } else if (dueHead > 1024 && dueHead * 2 > due.size()) {
      due.erase(due.begin(), due.begin() + static_cast<std::ptrdiff_t>(dueHead));
      dueHead = 0;
    }
  }

  // When an Upsert is due. A write in progress waits for its close, but never longer than writeHoldMs
  // after its first write; a temp name waits tempHoldMs after its last event so that an editor's
  // create+delete never leaves the machine.
  void scheduleUpsert(std::uint32_t slot, std::int64_t nowMs) {
    Entry& e = slots[slot];
    std::int64_t due = e.writing ? e.firstWriteMs + options.writeHoldMs : nowMs;
    if (e.temp) due = std::max(due, nowMs + options.tempHoldMs);
    bool scheduled = e.seq != 0;
    // An entry that is already due keeps its place: more events on a ready path must not starve it.
    if (scheduled && !e.writing && !e.temp && e.readyAt <= nowMs) return;
    if (scheduled && e.readyAt == due) return;
    schedule(slot, due);
  }

  void addDelete(std::string_view path, bool isDir, std::int64_t nowMs, std::int64_t wallNs) {
    // Nothing under a deleted path exists in the source any more, and the Delete removes the target's
    // subtree: the descendants' pending changes are moot. Should the directory come back before its
    // Delete goes out, it goes out as a replaced directory (see Entry::replaced), which covers them.
    Spot spot = locate(path);
    if (eraseUnder(path, true, underBegin(path, spot.after())) && !spot.found) spot = locate(path);
    auto found = spot.slot();
    if (found && bornNow(slots[*found])) {
      erase(*found);  // created and gone within the window: the targets never had it
      return;
    }
    std::uint32_t slot = found ? *found : create(path, isDir, false, spot.it);
    Entry& e = slots[slot];
    bool wasDelete = found && e.op == sdk::Op::Delete;
    e.op = sdk::Op::Delete;
    e.writing = false;
    e.origin.clear();  // the renamed-from path keeps its own pending Delete
    if (!wasDelete) e.movedTo.clear();
    setType(e, isDir);
    e.wallNs = wallNs;
    if (!wasDelete) schedule(slot, nowMs);
  }

  void add(std::string_view path, ChangeKind kind, bool isDir, bool born, std::int64_t nowMs,
           std::int64_t wallNs) {
    latestNow = std::max(latestNow, nowMs);
    if (kind == ChangeKind::Delete) {
      addDelete(path, isDir, nowMs, wallNs);
      return;
    }
    Spot spot = locate(path);
    auto found = spot.slot();
    if (!isDir && (!found || slots[*found].op == sdk::Op::Delete || slots[*found].isDir)) {
      // A symlink or file where a directory was (rm -rf d; ln -s x d): its Upsert replaces the targets'
      // whole old tree, so nothing below it is left to send. What its Delete kept there, the old names
      // of paths renamed out of it, would go out in the same take as Deletes below a path that is no
      // longer a directory, which do not commute with its Upsert: rsync, given both, keeps or remakes
      // the directory (exit 24) or fails on "Not a directory" (23). Their renames degrade to Upserts
      // (a directory's to a resync, see take). O(log n) when nothing is there.
      if (eraseUnder(path, false, underBegin(path, spot.after())) && !found) spot = locate(path);
    }
    // born counts only for the first event of an entry: a path that starts as a Delete and comes back
    // is still on the targets (old version), so a later Delete must be sent.
    std::uint32_t slot = found ? *found : create(path, isDir, born, spot.it);
    Entry& e = slots[slot];
    if (e.op == sdk::Op::Delete) {
      // (A directory the targets never had leaves nothing stale behind.)
      if (e.dirSeen && !e.covered && !bornNow(e)) e.replaced = true;
      e.op = sdk::Op::Upsert;
      e.writing = false;
      e.movedTo.clear();  // the old name is back: its rename partner degrades to a plain Upsert
      e.covered = false;
    }
    setType(e, isDir);
    if (!isDir) {
      if (kind == ChangeKind::Write && !e.writing) {
        e.writing = true;
        e.firstWriteMs = nowMs;
      } else if (kind == ChangeKind::Settle) {
        e.writing = false;
      }
      // Update leaves `writing` alone: an attribute change does not make half-written data complete.
    }
    e.wallNs = wallNs;
    scheduleUpsert(slot, nowMs);
  }

  void move(std::string_view from, std::string_view to, bool isDir, std::int64_t nowMs,
            std::int64_t wallNs) {
    if (from == to) return;
    latestNow = std::max(latestNow, nowMs);
    // What the targets still hold under the old name: `from` itself, or, when `from` was itself renamed
    // from somewhere in this window, that first name (a -> b -> c is a move of a to c).
    std::string origin(from);
    bool fromBorn = false;
    bool fromDirSeen = isDir;
    bool writing = false;
    std::int64_t firstWriteMs = 0;
    if (auto f = find(from)) {
      Entry& fe = slots[*f];
      fromBorn = bornNow(fe);
      fromDirSeen = fromDirSeen || fe.dirSeen;
      if (fe.op == sdk::Op::Upsert && !fe.origin.empty()) {
        origin = std::move(fe.origin);
        // Hand the first name's Delete over to the new partner (a -> b -> c pairs a with c).
        if (auto o = find(origin); o && slots[*o].op == sdk::Op::Delete && slots[*o].movedTo == from) {
          slots[*o].movedTo = to;
        }
      } else if (fromBorn && !isDir) {
        origin.clear();  // the targets never had it: nothing to delete, a plain Upsert of `to`
      }
      // A directory made in this window and then renamed (mkdir tmp; fill; mv tmp final) still goes out
      // as a Move, because plugins send a subtree on a Move; the Delete of its old name is born, so it
      // is dropped unsent should the pair break.
      if (fe.op == sdk::Op::Upsert && fe.writing && !isDir) {
        // Renamed while open for writing: the data under the new name is no more complete than before.
        writing = true;
        firstWriteMs = fe.firstWriteMs;
      }
      erase(*f);
    }
    // The old subtree goes with the Delete of `from`, the new one with the Move (plugins send a Move's
    // new path with its subtree).
    eraseUnder(from);
    // A rename over an emptied directory brings paths back under `to`: its children's pending Deletes
    // become Upserts, which remove the old entries the new tree lacks and send the rest. A directory
    // among them may hold old entries no change names: resync (see Entry::replaced).
    // A file or symlink renamed over a path whose directory was deleted in this window covers what is
    // left below it instead, as in add().
    bool oldDirectoryUnder = false;
    if (isDir)
      oldDirectoryUnder = reviveUnder(to, nowMs);
    else
      eraseUnder(to, false);
    // Renamed back (mv d e; mv e d): a plain Upsert. For a directory the pending changes of its
    // children were dropped on the way and only a resync brings them (see Entry::replaced).
    bool renamedBack = origin == to;
    if (renamedBack) origin.clear();

    // A rename may replace an existing `to` that the targets have, so `to` is born only if it already
    // was (its entry began with a create in this window), never because of the rename.
    auto t = find(to);
    std::uint32_t toSlot = t ? *t : create(to, isDir, false);
    Entry& te = slots[toSlot];
    if (t && te.op == sdk::Op::Delete && te.dirSeen && !te.covered && !bornNow(te)) te.replaced = true;
    if ((renamedBack || oldDirectoryUnder) && isDir) te.replaced = true;
    te.op = sdk::Op::Upsert;
    te.movedTo.clear();
    te.covered = false;
    setType(te, isDir);
    te.writing = writing;
    te.firstWriteMs = firstWriteMs;
    te.origin = std::move(origin);
    te.wallNs = wallNs;
    scheduleUpsert(toSlot, nowMs);
    std::int64_t toReadyAt = te.readyAt;

    if (!fromBorn || (isDir && te.origin == from)) {
      std::uint32_t fromSlot = create(from, isDir, fromBorn);
      Entry& fe = slots[fromSlot];
      fe.op = sdk::Op::Delete;
      fe.dirSeen = fromDirSeen;
      fe.wallNs = wallNs;
      fe.movedTo = to;
      // Due no earlier than `to` and queued after it, so that `to` is taken first and absorbs this
      // Delete into one Move.
      schedule(fromSlot, std::max(nowMs, toReadyAt));
    }
  }

  // The changes that go out take their entries with them (and their paths, without a copy).
  PendingChange makeMove(std::uint32_t delSlot, std::uint32_t upSlot) {
    const Entry& del = slots[delSlot];
    const Entry& up = slots[upSlot];
    // A replaced directory goes out as the resync signal; the old name's Delete goes unsent, the
    // resync covers it.
    if (up.replaced && up.isDir) {
      PendingChange change = replacedDelete(upSlot);
      erase(delSlot);
      return change;
    }
    PendingChange change;
    change.op = sdk::Op::Move;
    change.isDir = up.isDir;
    change.wallNs = std::max(up.wallNs, del.wallNs);
    change.path = release(upSlot);
    change.oldPath = release(delSlot);
    return change;
  }

  PendingChange replacedDelete(std::uint32_t slot) {
    resyncAhead = true;
    PendingChange change;
    change.op = sdk::Op::Delete;
    change.isDir = true;
    change.wallNs = slots[slot].wallNs;
    change.path = release(slot);
    return change;
  }

  std::vector<PendingChange> take(std::int64_t nowMs, std::size_t max) {
    std::vector<PendingChange> out;
    resyncAhead = false;
    // Most of what is due now is in the FIFO: room for it up front saves growing `out` step by step.
    out.reserve(std::min({max, due.size() - dueHead, std::size_t{1024}}));
    while (out.size() < max) {
      const Item* next = top();
      if (!next || next->readyAt > nowMs) break;
      std::uint32_t slot = next->slot;
      popTop();
      Entry& e = slots[slot];
      if (e.op == sdk::Op::Delete) {
        if (auto t = partnerOf(e)) {
          // The old name of a rename: go out together with the new name as one Move. Holding a Delete
          // back is harmless (the source no longer has the path), so wait for the new name's data.
          if (slots[*t].readyAt > nowMs) {
            schedule(slot, slots[*t].readyAt);
            continue;
          }
          out.push_back(makeMove(slot, *t));
          continue;
        }
        // A pair that broke leaves a Delete nobody needs when the targets never had the old name (a
        // renamed new directory) or when a directory above it is deleted or replaced by its own change.
        if (bornNow(e) || e.covered) {
          erase(slot);
          continue;
        }
      } else if (!e.origin.empty()) {
        // Any pending Delete of the old name can be absorbed: Move means "delete old, upsert new". When
        // the old name came back (or its Delete already went out) the rename degrades to a plain Upsert.
        if (auto o = find(e.origin); o && slots[*o].op == sdk::Op::Delete) {
          out.push_back(makeMove(*o, slot));
          continue;
        }
        // For a directory that is not enough: only a Move makes plugins send the subtree, and the old
        // name's targets still hold the old tree (mv logs logs.1; mkdir logs). Resync, as for a replaced
        // directory.
        if (e.isDir) e.replaced = true;
      }
      if (e.op == sdk::Op::Upsert && e.replaced && e.isDir) {
        out.push_back(replacedDelete(slot));
        continue;
      }
      PendingChange change;
      change.op = e.op;
      change.isDir = e.op == sdk::Op::Delete ? e.dirSeen : e.isDir;
      change.wallNs = e.wallNs;
      change.path = release(slot);
      out.push_back(std::move(change));
    }
    for (const auto& change : out) {
      if (change.op != sdk::Op::Delete && change.isDir) unbornUnder(change.path);
    }
    // The resync a replaced directory triggers copies whatever the source has, paths still pending as
    // born included: like a full sync, it ends their right to cancel a Delete.
    if (resyncAhead) ++epoch;
    return out;
  }
};

Coalescer::Coalescer(Options options) : impl_(std::make_shared<Impl>(std::move(options))) {}

void Coalescer::add(std::string_view path, ChangeKind kind, bool isDir, bool born, std::int64_t nowMs,
                    std::int64_t wallNs) {
  impl_->add(path, kind, isDir, born, nowMs, wallNs);
}

void Coalescer::move(std::string_view from, std::string_view to, bool isDir, std::int64_t nowMs,
                     std::int64_t wallNs) {
  impl_->move(from, to, isDir, nowMs, wallNs);
}

std::vector<PendingChange> Coalescer::takeReady(std::int64_t nowMs, std::size_t max) {
  return impl_->take(nowMs, max);
}

std::vector<PendingChange> Coalescer::takeAll() {
  return impl_->take(std::numeric_limits<std::int64_t>::max(), SIZE_MAX);
}

std::optional<std::int64_t> Coalescer::nextDeadline() const {
  const auto* top = impl_->top();  // logically const: only forgets items that no longer mean anything
  if (!top) return std::nullopt;
  return top->readyAt;
}

std::size_t Coalescer::size() const { return impl_->index.size(); }

std::vector<std::string> Coalescer::pendingPaths() const {
  std::vector<std::string> out;
  out.reserve(impl_->index.size());
  for (const auto& [path, slot] : impl_->index) out.push_back(path);
  return out;
}

void Coalescer::releaseMemory() {
  if (!impl_->index.empty()) return;  // queue items name live slots by number: no compaction under them
  // With nothing pending every slot is free and every queue item stale. Swapped with empty ones: "= {}"
  // would pick the initializer-list assignment, which keeps the capacity.
  std::vector<Impl::Entry>().swap(impl_->slots);
  std::vector<std::uint32_t>().swap(impl_->freeSlots);
  std::vector<Impl::Item>().swap(impl_->heap);
  std::vector<Impl::Item>().swap(impl_->due);
  impl_->dueHead = 0;
  std::string().swap(impl_->prefixBuffer);
}

void Coalescer::setPreciseDeletes(bool on) {
  if (on && !impl_->precise) ++impl_->epoch;
  impl_->precise = on;
}

}  // namespace fsrelay
