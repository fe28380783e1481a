// The per-target worker: takes everything queued as one batch, delivers it, and applies the retry policy.
#include "core/dispatch/target.hpp"

#include <cerrno>
#include <ctime>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "core/log/log.hpp"
#include "core/util/escape.hpp"
#include "core/util/metrics.hpp"

namespace fsrelay {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

class BatchReport final : public sdk::Report {
 public:
  explicit BatchReport(std::size_t n) : statuses_(n, kUnset) {}
  void eventStatus(std::size_t index, sdk::Status status) noexcept override {
    if (index < statuses_.size()) statuses_[index] = static_cast<int>(status);
  }
  void message(sdk::Bytes text) noexcept override {
    try {
      message_.assign(text.data, text.size);
    } catch (...) {
    }
  }
  sdk::Status statusOf(std::size_t i, sdk::Status batch) const {
    return statuses_[i] == kUnset ? batch : static_cast<sdk::Status>(statuses_[i]);
  }
  const std::string& text() const { return message_; }

 private:
  static constexpr int kUnset = -1;
  std::vector<int> statuses_;
  std::string message_;
};

const char* kindOf(sdk::Op op) { return op == sdk::Op::Delete ? "delete" : "upsert"; }

}  // namespace

Target::Target(Options options, sdk::Instance* instance, std::unique_ptr<HostServices> host, FailLog& failLog,
               TransferSlots& slots, const Lifecycle& life, std::function<void()> onStateChange)
    : opt_(std::move(options)),
      instance_(instance),
      host_(std::move(host)),
      failLog_(failLog),
      slots_(slots),
      life_(life),
      onStateChange_(std::move(onStateChange)),
      rng_(std::random_device{}()) {}

Target::~Target() {
  finish();
  join();
  if (instance_) instance_->destroy();
}

void Target::start() { thread_ = std::thread([this] { run(); }); }

void Target::join() {
  if (thread_.joinable()) thread_.join();
}

void Target::finish() {
  std::lock_guard lock(mutex_);
  finishing_ = true;
  cv_.notify_all();
}

bool Target::fullSyncActive() const {
  std::lock_guard lock(mutex_);
  return fullSync_ != nullptr || fullRunning_;
}

bool Target::fullSyncTried() const {
  std::lock_guard lock(mutex_);
  return fullTried_ || (!fullSync_ && !fullRunning_);
}

bool Target::idle() const {
  std::lock_guard lock(mutex_);
  return queue_.empty() && !inFlight_ && !fullSync_;
}

std::size_t Target::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Target::pushDeleteOfOldPathLocked(const PendingChange& move, bool front) {
  PendingChange del{sdk::Op::Delete, move.isDir, move.oldPath, {}, move.wallNs};
  if (queue_.named(del.path) == TargetQueue::kNone) queue_.push(Item{std::move(del), 0, {}}, front);
}

bool Target::isBarrier(const PendingChange& older, const PendingChange& newer) {
  // A directory deleted and made again: the Delete must stay, ahead of the new directory, so that its
  // delivery (and the check after it) sees the directory came back and resyncs the root.
  return older.op == sdk::Op::Delete && older.isDir && newer.op != sdk::Op::Delete;
}

namespace {

// A change after which its path is a non-directory on the source: nothing below it exists there, and
// sending it replaces whatever the target holds at the path, a whole directory included (--force).
bool makesNonDir(const PendingChange& c) { return c.op != sdk::Op::Delete && !c.isDir; }

}  // namespace

bool Target::notADirectoryNow(std::string_view path) const {
  // The type a change carries can be stale (the coalescer revives a renamed-over directory's entries as
  // Upserts of unknown type, and resyncs for them), so a change is trusted to cover others only when the
  // source agrees. Gone counts as not a directory: its Delete is on the way and covers them as well.
  struct stat st;
  std::string abs = opt_.root + "/" + std::string(path);
  if (::lstat(abs.c_str(), &st) == 0) return !S_ISDIR(st.st_mode);
  return errno == ENOENT || errno == ENOTDIR;
}

Target::Slot Target::nonDirAncestorLocked(std::string_view path, std::uint64_t* pathHash) {
  return queue_.namedAbove(
      path, [this](Slot s, std::string_view dir) { return makesNonDir(queue_.at(s).change) && notADirectoryNow(dir); },
      pathHash);
}

std::vector<std::string> Target::coverBelowLocked(const PendingChange& covering, std::uint64_t hash) {
  std::vector<std::string> covered;
  if (covering.path == "." || !queue_.anyBelow(hash)) return covered;
  std::vector<Slot> below = queue_.below(covering.path);
  if (below.empty() || !notADirectoryNow(covering.path)) return covered;
  const std::string prefix = covering.path + "/";
  for (Slot s : below) {
    Item& it = queue_.at(s);
    // A Move into the dropped subtree still has to delete its old name elsewhere.
    if (it.change.op == sdk::Op::Move && !it.change.oldPath.starts_with(prefix))
      pushDeleteOfOldPathLocked(it.change, false);
    else if (it.change.op == sdk::Op::Move)
      covered.push_back(it.change.oldPath);
    covered.push_back(it.change.path);
    for (auto& p : it.covered) covered.push_back(std::move(p));
    queue_.erase(s);
  }
  return covered;
}

void Target::mergeLocked(Item item, bool retry) {
  PendingChange& change = item.change;
  // A change below a path whose newest queued change makes it a non-directory is moot: that change
  // replaces the target's whole tree there. Sent anyway, rsync would list the path twice (as the new
  // symlink or file and as the implied parent of the one below), keep or remake the old directory and
  // exit 24, or fail with 23 "Not a directory" on every attempt. Such a late change is a retried or
  // replayed one: new events of a path below come before the event that replaced the directory.
  std::uint64_t hash = 0;  // of change.path, for the look-ups below
  if (Slot aboveSlot = nonDirAncestorLocked(change.path, &hash); aboveSlot != TargetQueue::kNone) {
    Item& above = queue_.at(aboveSlot);
    std::uint64_t oldHash = 0;
    if (change.op == sdk::Op::Move && nonDirAncestorLocked(change.oldPath, &oldHash) == TargetQueue::kNone) {
      // Still delete the old name, which lies elsewhere.
      above.covered.push_back(change.path);
      change = PendingChange{sdk::Op::Delete, change.isDir, std::move(change.oldPath), {}, change.wallNs};
      hash = oldHash;
    } else {
      above.covered.push_back(change.path);
      if (change.op == sdk::Op::Move) above.covered.push_back(change.oldPath);
      for (auto& p : item.covered) above.covered.push_back(std::move(p));
      return;
    }
  }
  // A Move lists its old path too; a pending entry for the old path is covered by it.
  if (change.op == sdk::Op::Move && !retry) {
    Slot old = queue_.named(change.oldPath);
    if (old != TargetQueue::kNone && !isBarrier(queue_.at(old).change, change)) {
      // Taken out whole: the queue finds its index entries by its path, which moving it out would empty.
      Item prev = queue_.take(old);
      if (prev.change.op == sdk::Op::Move) {
        // A rename chain a -> b -> c split across the queue: one Move a -> c, as the coalescer makes of
        // it, and a Delete of b: a's old name must go, and b may have replaced something on the target
        // (a file renamed over another, a directory deleted first) that b -> c would have deleted.
        PendingChange mid{sdk::Op::Delete, prev.change.isDir || !prev.covered.empty(), change.oldPath, {},
                          prev.change.wallNs};
        queue_.push(Item{std::move(mid), 0, std::move(prev.covered)}, false);
        if (prev.change.oldPath == change.path) {
          // Renamed back (a -> b -> a): a plain Upsert for a file. A directory's changes made under the
          // other name listed paths the target never had, so its old entries may remain: the directory
          // Delete of a path the source has again makes the target resync the root (see checkReplacedDirsLocked).
          change.oldPath.clear();
          change.op = change.isDir ? sdk::Op::Delete : sdk::Op::Upsert;
        } else {
          change.oldPath = std::move(prev.change.oldPath);
        }
      } else {
        for (auto& p : prev.covered) item.covered.push_back(std::move(p));
      }
    }
  }
  // A new symlink or file at a path covers the queued changes below it (as the coalescer's directory
  // Delete covers its children).
  if (!retry && makesNonDir(change)) {
    for (auto& p : coverBelowLocked(change, hash)) item.covered.push_back(std::move(p));
  }
  Slot named = queue_.named(change.path, hash);
  if (named == TargetQueue::kNone) {
    queue_.push(std::move(item), retry);
    return;
  }
  // Stays valid while other items are pushed (pushDeleteOfOldPathLocked below); its path keeps its value.
  Item& cur = queue_.at(named);
  // retry: `item` comes back from a failed delivery, so the queued one is the newer.
  Item& olderItem = retry ? item : cur;
  PendingChange& older = olderItem.change;
  PendingChange& newer = retry ? cur.change : change;
  bool olderCovers = !olderItem.covered.empty();
  if (olderCovers && newer.op != sdk::Op::Delete && newer.isDir) {
    // A directory again where a non-directory had dropped changes below it: the target may still hold the
    // old directory with entries no queued change names. The older change becomes the directory Delete
    // that, delivered while the path is a directory, makes the target resync the root.
    if (older.op == sdk::Op::Move) pushDeleteOfOldPathLocked(older, retry);
    older = PendingChange{sdk::Op::Delete, true, older.path, {}, older.wallNs};
  }
  if (isBarrier(older, newer)) {
    queue_.push(std::move(item), retry);
    return;
  }
  // Whichever entry is dropped, a Move's old path must still be deleted on the target.
  if (older.op == sdk::Op::Move) pushDeleteOfOldPathLocked(older, retry);
  // A Delete that follows a covering change removes a directory the target may still hold.
  if (olderCovers && newer.op == sdk::Op::Delete) newer.isDir = true;
  if (retry) {
    for (auto& p : item.covered) cur.covered.push_back(std::move(p));
  } else {
    for (auto& p : cur.covered) item.covered.push_back(std::move(p));
    cur.change = std::move(change);
    cur.attempts = item.attempts;
    cur.covered = std::move(item.covered);
  }
}

void Target::enqueue(std::vector<PendingChange> changes) {
  if (changes.empty()) return;
  std::lock_guard lock(mutex_);
  lastEnqueue_ = Clock::now();
  if (queue_.empty()) firstQueued_ = lastEnqueue_;
  for (auto& c : changes) mergeLocked(Item{std::move(c), 0, {}}, false);
  if (waiting_) cv_.notify_all();
}

void enqueueEach(const std::vector<Target*>& targets, std::vector<PendingChange> changes) {
  for (std::size_t i = 0; i + 1 < targets.size(); ++i) targets[i]->enqueue(changes);
  if (!targets.empty()) targets.back()->enqueue(std::move(changes));
}

void Target::requestFullSync(std::function<std::vector<OwnedExclude>()> excludes) {
  std::lock_guard lock(mutex_);
  fullSync_ = excludes ? std::move(excludes) : rootExcludes();
  cv_.notify_all();
}

void Target::replayFailLog() {
  std::lock_guard lock(mutex_);
  replayFailLogLocked();
}

void Target::replayFailLogLocked(bool probe) {
  auto entries = failLog_.entriesFor(opt_.name);  // lock order: ours, then the fail log's
  if (entries.empty()) return;
  std::size_t queued = 0;
  for (auto& e : entries) {
    if (e.kind == "full") {
      if (!fullSync_) fullSync_ = rootExcludes();
      continue;
    }
    PendingChange c{e.kind == "delete" ? sdk::Op::Delete : sdk::Op::Upsert, e.isDir, e.path, {}, 0};
    if (queue_.named(c.path) == TargetQueue::kNone) {
      // A probe gets one attempt: while the target is still down its entries simply stay in the fail log.
      mergeLocked(Item{std::move(c), probe ? std::max(0, opt_.retry.limit - 1) : 0, {}}, false);
      ++queued;
    }
  }
  if (probe)
    log::debug(opt_.name, ": trying ", entries.size(), " fail-log entries again to see whether the target is back");
  else
    log::info(opt_.name, ": replaying ", entries.size(), " fail-log entries (", queued, " not already queued)");
  cv_.notify_all();
}

std::function<std::vector<OwnedExclude>()> Target::rootExcludes() const {
  if (opt_.rootExcludes) return opt_.rootExcludes;
  return [] { return std::vector<OwnedExclude>{}; };
}

std::vector<FailEntry> Target::toFailEntries(const std::vector<Item>& items) const {
  std::vector<FailEntry> out;
  for (const auto& it : items) {
    const auto& c = it.change;
    if (c.op == sdk::Op::Move) {
      out.push_back(FailEntry{opt_.name, opt_.root, "delete", c.isDir, c.oldPath});
      out.push_back(FailEntry{opt_.name, opt_.root, "upsert", c.isDir, c.path});
    } else {
      out.push_back(FailEntry{opt_.name, opt_.root, kindOf(c.op), c.isDir, c.path});
    }
  }
  return out;
}

void Target::spillToFailLogLocked() {
  std::vector<Item> rest = queue_.takeAll();
  auto entries = toFailEntries(rest);
  if (fullSync_) entries.push_back(FailEntry{opt_.name, opt_.root, "full", true, "."});
  fullSync_ = nullptr;
  if (!entries.empty()) {
    log::warn(opt_.name, ": stopping with ", entries.size(), " undelivered changes; kept in the fail log ",
              failLog_.path(), " for the next start");
    failLog_.add(entries);
  }
}

sdk::Status Target::callDeliver(const sdk::Batch& batch, sdk::Report& report, std::string* thrown) {
  // The SDK asks plugins not to throw; this is the last resort that keeps the daemon and the other
  // targets running when one does. The batch is retried like any transient failure.
  try {
    return instance_->deliver(batch, report);
  } catch (const std::exception& e) {
    *thrown = std::string("plugin threw: ") + e.what();
  } catch (...) {
    *thrown = "plugin threw an exception that is not a std::exception";
  }
  metrics::add("plugin_exceptions", 1);
  std::lock_guard lock(mutex_);
  ++stats_.exceptions;
  log::error(opt_.name, ": batch ", batch.id, ": ", *thrown);
  return sdk::Status::Retry;
}

TargetStats Target::stats() const {
  std::lock_guard lock(mutex_);
  TargetStats s = stats_;
  s.queued = queue_.size();
  s.inFlight = inFlight_;
  s.fullSync = fullRunning_ ? "running" : fullSync_ ? "queued" : "idle";
  return s;
}

void Target::onOutcomeLocked(bool ok, const std::string& message) {
  if (ok) {
    ++stats_.batches;
    stats_.lastOkUnix = std::time(nullptr);
    if (failures_ > 0) {
      log::info(opt_.name, ": target accepts transfers again after ", failures_, " failed attempts");
      failures_ = 0;
      backoffUntil_ = {};
      // The target is back: what it missed goes now rather than at the next timed replay.
      replayFailLogLocked();
    }
    return;
  }
  ++failures_;
  ++stats_.retries;
  stats_.lastErrorUnix = std::time(nullptr);
  stats_.lastError = message.empty() ? "no reason given" : message;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto delay = opt_.retry.delay(failures_, unit(rng_));
  backoffUntil_ = Clock::now() + delay;
  metrics::add("delivery_failures", 1);
  log::warn(opt_.name, ": delivery failed (", message.empty() ? "no reason given" : message, "); next attempt in ",
            delay.count(), " ms (consecutive failure ", failures_, ")");
}

void Target::checkReplacedDirsLocked(const std::vector<Item>& items) {
  if (fullSync_) return;
  for (const auto& it : items) {
    const auto& c = it.change;
    if (c.op != sdk::Op::Delete || !c.isDir) continue;
    log::debug(opt_.name, ": delivered the delete of directory ", escapeBytes(c.path), "; checking it is still gone");
    struct stat st;
    std::string abs = opt_.root + "/" + c.path;
    if (::lstat(abs.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      log::info(opt_.name, ": ", escapeBytes(c.path), " was deleted and made again; full sync to drop its old entries");
      metrics::add("replaced_dir_resyncs", 1);
      fullSync_ = rootExcludes();
      return;
    }
  }
}

void Target::deliverChanges() {
  // The worker alone changes sending_, and only under the lock: reading it here without the lock is safe.
  std::vector<Item>& items = sending_;
  std::vector<sdk::Event> events;
  events.reserve(items.size());
  bool debug = log::enabled(log::Level::Debug);
  for (const auto& it : items) {
    const auto& c = it.change;
    if (debug)
      log::debug(opt_.name, ": sending ", c.op == sdk::Op::Delete ? "delete " : c.op == sdk::Op::Move ? "move " : "upsert ",
                 c.isDir ? "dir " : "", escapeBytes(c.path), c.op == sdk::Op::Move ? " from " + escapeBytes(c.oldPath) : "");
    events.push_back(sdk::Event{c.op, static_cast<std::uint8_t>(c.isDir), {c.path.data(), c.path.size()},
                                {c.oldPath.data(), c.oldPath.size()}, c.wallNs});
  }
  sdk::Batch batch{sdk::BatchKind::Changes, {opt_.root.data(), opt_.root.size()}, events.data(), events.size(),
                   nullptr, 0, 0};
  {
    std::lock_guard lock(mutex_);
    batch.id = ++batchSeq_;
  }
  BatchReport report(events.size());
  slots_.acquire();
  auto t0 = Clock::now();
  std::string thrown;
  sdk::Status status = callDeliver(batch, report, &thrown);
  slots_.release();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  log::debug(opt_.name, ": batch ", batch.id, " of ", events.size(), " changes took ", took.count(), " ms");

  std::size_t delivered = 0;
  DeliveryCounts sent;  // for the transfer line
  std::vector<std::string> settled;  // delivered, or made moot by a delivered change
  std::vector<Item> failed;
  std::unique_lock lock(mutex_);
  // A target without fail-log entries has nothing to settle: no need to copy every delivered path.
  const bool settle = failLog_.sizeFor(opt_.name) > 0;
  if (status == sdk::Status::Ok) checkReplacedDirsLocked(items);
  // A Fail is the plugin refusing a change for good (bad name, 403): the target itself works. Only a
  // transient failure counts against it (backoff, and probing its fail-log entries until it is back).
  bool anyTransient = false;
  // Retried items go back to the front, in their order (so walk backwards), ahead of newer arrivals.
  for (std::size_t i = items.size(); i-- > 0;) {
    sdk::Status s = thrown.empty() ? report.statusOf(i, status) : sdk::Status::Retry;
    if (s == sdk::Status::Ok) {
      sent.add(items[i].change.op);
      delivered += items[i].change.op == sdk::Op::Move ? 2 : 1;
      if (settle) {
        settled.push_back(items[i].change.path);
        if (items[i].change.op == sdk::Op::Move) settled.push_back(items[i].change.oldPath);
        // The changes it made moot are settled with it: their fail-log entries, if any, go too.
        for (auto& p : items[i].covered) settled.push_back(std::move(p));
      }
    } else if (s == sdk::Status::Retry && items[i].attempts + 1 < opt_.retry.limit && !life_.abort.load()) {
      anyTransient = true;
      // Copied, not moved: until the run loop clears it, sending_ names every path of the batch.
      Item again = items[i];
      ++again.attempts;
      mergeLocked(std::move(again), true);
    } else {
      anyTransient = anyTransient || s == sdk::Status::Retry;
      failed.push_back(items[i]);
    }
  }
  metrics::add("changes_delivered", static_cast<std::int64_t>(delivered));
  stats_.delivered += delivered;
  deliveredHistory_.add(msSince(Clock::time_point{}), delivered);
  stats_.failed += failed.size();
  if (!failed.empty()) {
    metrics::add("changes_failed", static_cast<std::int64_t>(failed.size()));
    log::error(opt_.name, ": ", failed.size(), " changes written to the fail log ", failLog_.path(), " (",
               report.text().empty() ? "delivery failed" : report.text(), ")");
    failLog_.add(toFailEntries(failed));
  }
  // Before the outcome: a target that is back replays its fail log, which must no longer hold what this
  // batch delivered (the probe that found it back delivers every entry; sending them twice cost a second
  // -I copy of every file). Lock order: ours, then the fail log's; a no-op without matching entries.
  if (!settled.empty()) failLog_.remove(opt_.name, settled);
  onOutcomeLocked(!anyTransient, thrown.empty() ? report.text() : thrown);
  if (auto line = transferLog_.delivered(sent, took, Clock::now())) writeTransferLine(opt_.name, *line);
}

void Target::deliverFullSync(std::function<std::vector<OwnedExclude>()> excludesFn) {
  std::vector<OwnedExclude> owned = excludesFn ? excludesFn() : std::vector<OwnedExclude>{};
  std::vector<sdk::Exclude> excludes;
  for (const auto& e : owned)
    excludes.push_back(sdk::Exclude{{e.pattern.data(), e.pattern.size()}, static_cast<std::uint8_t>(e.isGlob),
                                    static_cast<std::uint8_t>(e.isDir)});
  sdk::Batch batch{sdk::BatchKind::FullSync, {opt_.root.data(), opt_.root.size()}, nullptr, 0,
                   excludes.data(), excludes.size(), 0};
  {
    std::lock_guard lock(mutex_);
    batch.id = ++batchSeq_;
  }
  log::info(opt_.name, ": full sync started");
  BatchReport report(0);
  slots_.acquire();
  auto t0 = Clock::now();
  std::string thrown;
  sdk::Status status = callDeliver(batch, report, &thrown);
  slots_.release();
  std::unique_lock lock(mutex_);
  fullRunning_ = false;
  fullTried_ = true;
  host_->syncProgress().end(msSince(Clock::time_point{}), status == sdk::Status::Ok);
  if (status == sdk::Status::Ok) {
    // A plugin that reported progress gets the engine's fuller line (core/engine/progress_report); one
    // "done" line a sync is enough.
    const bool reported = host_->syncProgress().view(msSince(Clock::time_point{})).reported;
    if (reported) log::debug(opt_.name, ": full sync done in ", msSince(t0), " ms");
    else log::info(opt_.name, ": full sync done in ", msSince(t0), " ms");
    metrics::add("full_syncs", 1);
  } else if (status == sdk::Status::Retry && !life_.abort.load()) {
    if (!fullSync_) fullSync_ = std::move(excludesFn);
  } else {
    failLog_.add({FailEntry{opt_.name, opt_.root, "full", true, "."}});
  }
  // Before the outcome, as in deliverChanges: a replay must not find this sync's own entry and sync again.
  if (status == sdk::Status::Ok) failLog_.remove(opt_.name, {"."});
  onOutcomeLocked(status == sdk::Status::Ok, thrown.empty() ? report.text() : thrown);
}

void Target::pendingPaths(std::vector<std::string>* out) const {
  std::lock_guard lock(mutex_);
  for (Slot s = queue_.front(); s != TargetQueue::kNone; s = queue_.next(s)) {
    const Item& item = queue_.at(s);
    out->push_back(item.change.path);
    if (item.change.op == sdk::Op::Move) out->push_back(item.change.oldPath);
    for (const auto& c : item.covered) out->push_back(c);
  }
  for (const auto& item : sending_) {
    out->push_back(item.change.path);
    if (item.change.op == sdk::Op::Move) out->push_back(item.change.oldPath);
  }
}

void Target::waitLocked(std::unique_lock<std::mutex>& lock, Clock::time_point until) {
  waiting_ = true;
  cv_.wait_until(lock, until);
  waiting_ = false;
}

void Target::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    bool work = !queue_.empty() || fullSync_;
    if (life_.abort.load() || (finishing_ && !work)) break;
    auto now = Clock::now();
    if (auto line = transferLog_.due(now)) writeTransferLine(opt_.name, *line);
    if (!work) {
      // A target that failed and has nothing new to send would otherwise learn that it is back only from
      // the next change or the timed replay: retry its fail-log entries at the backoff's pace instead.
      if (failures_ > 0 && !finishing_ && now >= backoffUntil_ && failLog_.sizeFor(opt_.name) > 0) {
        replayFailLogLocked(true);
        continue;
      }
      waitLocked(lock, now + std::chrono::milliseconds(200));
      continue;
    }
    if (now < backoffUntil_) {
      // While stopping, a target that keeps failing gives up so shutdown stays bounded.
      if (finishing_ && failures_ > 0) break;
      waitLocked(lock, std::min(backoffUntil_, now + std::chrono::milliseconds(200)));
      continue;
    }
    // Adaptive batching: a change that finds the target idle leaves at once. One that queued up while a
    // delivery was running is part of a burst: gather until the burst pauses or the oldest change has
    // waited maxGather, so 10,000 files cost a handful of rsync sessions, not one per 10 ms of files.
    if (!fullSync_ && !finishing_ && firstQueued_ < lastDeliveryEnd_ + opt_.burstWindow) {
      auto until = std::min(lastEnqueue_ + opt_.quiet, firstQueued_ + opt_.maxGather);
      if (now < until) {
        waitLocked(lock, until);
        continue;
      }
    }
    inFlight_ = true;
    if (fullSync_) {
      auto fn = std::move(fullSync_);
      fullSync_ = nullptr;
      fullRunning_ = true;
      host_->syncProgress().begin(msSince(Clock::time_point{}));
      // Changes queued meanwhile stay queued: rsync may have read their directory before they happened.
      lock.unlock();
      deliverFullSync(std::move(fn));
    } else {
      // A path queued twice (behind a directory Delete) ends the batch: the second goes in the next one.
      // Only then does the batch need to remember the paths it took.
      const bool distinct = queue_.pathsDistinct();
      if (distinct && queue_.size() <= opt_.maxBatch) {
        // The usual case, the whole queue: one pass under the lock, which enqueue() waits for.
        sending_ = queue_.takeAll();
      } else {
        std::vector<Item>& items = sending_;
        items.reserve(std::min(queue_.size(), opt_.maxBatch));
        std::unordered_set<std::string_view> inBatch;
        while (!queue_.empty() && items.size() < opt_.maxBatch &&
               (distinct || !inBatch.count(queue_.at(queue_.front()).change.path))) {
          items.push_back(queue_.take(queue_.front()));
          // A view into items, which was reserved for the whole batch and so does not move its strings.
          if (!distinct) inBatch.insert(items.back().change.path);
        }
      }
      lock.unlock();
      deliverChanges();
    }
    lock.lock();
    inFlight_ = false;
    // A big batch's array goes back at once: at ~120 bytes an item, one of 100,000 is 12 MB.
    if (sending_.capacity() > 4096) {
      std::vector<Item>().swap(sending_);
    } else {
      sending_.clear();
    }
    lastDeliveryEnd_ = Clock::now();
    if (onStateChange_) onStateChange_();
  }
  if (auto line = transferLog_.flush(Clock::now())) writeTransferLine(opt_.name, *line);
  spillToFailLogLocked();
  if (onStateChange_) onStateChange_();
}

}  // namespace fsrelay
