// One plugin instance fed by its own queue and worker thread: batching, retry, backoff and the fail log.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <semaphore>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fsrelay/plugin.hpp>

#include "core/coalesce/coalescer.hpp"
#include "core/dispatch/fail_log.hpp"
#include "core/dispatch/rate_history.hpp"
#include "core/dispatch/retry_policy.hpp"
#include "core/dispatch/target_queue.hpp"
#include "core/dispatch/transfer_log.hpp"
#include "core/plugin/host_services.hpp"

namespace fsrelay {

struct OwnedExclude {
  std::string pattern;
  bool isGlob = false;
  bool isDir = false;
};

using TransferSlots = std::counting_semaphore<1024>;

// What a target has done so far, for the status endpoint and metrics.
struct TargetStats {
  std::size_t queued = 0;
  bool inFlight = false;
  const char* fullSync = "idle";  // "idle", "queued" or "running"
  std::uint64_t delivered = 0;    // changes delivered
  std::uint64_t batches = 0;      // deliveries that succeeded
  std::uint64_t retries = 0;      // deliveries that failed and were (or will be) retried
  std::uint64_t failed = 0;       // changes written to the fail log
  std::uint64_t exceptions = 0;   // deliveries that threw
  std::int64_t lastOkUnix = 0;
  std::int64_t lastErrorUnix = 0;
  std::string lastError;
};

// Adaptive batching: while a delivery is in flight, new changes gather; when it returns, everything
// gathered goes out as the next batch. A lone change therefore leaves at once, and a burst costs a handful
// of deliveries. At most one delivery per target is in flight, so changes to a path reach it in order.
class Target {
 public:
  struct Options {
    std::string name;  // stable across restarts: the fail log keys on it
    std::string root;
    std::string plugin;  // the plugin's name, for status and metrics
    RetryPolicy retry;
    std::size_t maxBatch = 100000;
    // The host filter's excludes for a full sync of the root, computed when it starts.
    std::function<std::vector<OwnedExclude>()> rootExcludes;
    // Burst gathering (see run()): changes that began to queue during a delivery, or within burstWindow
    // of its end, wait until no change arrived for quiet, or until the oldest of them is maxGather old.
    std::chrono::milliseconds burstWindow{100};
    std::chrono::milliseconds quiet{30};
    std::chrono::milliseconds maxGather{250};
  };

  Target(Options options, sdk::Instance* instance, std::unique_ptr<HostServices> host, FailLog& failLog,
         TransferSlots& slots, const Lifecycle& life, std::function<void()> onStateChange);
  ~Target();  // joins the worker and destroys the instance

  void start();
  // By value: a caller whose vector goes to one target (or to the last of several) moves it in, and the
  // changes' strings are queued without a copy.
  void enqueue(std::vector<PendingChange> changes);
  // excludes is called on the worker thread when the sync starts, so it sees the tree as it is then.
  // Without excludes, the root's filter excludes (Options::rootExcludes) apply.
  void requestFullSync(std::function<std::vector<OwnedExclude>()> excludes = nullptr);
  // Re-queues this target's fail-log entries (they stay in the log until delivered).
  void replayFailLog();
  // Stops taking new work once the queue is empty (or abort is set); what remains goes to the fail log.
  void finish();
  void join();

  bool fullSyncActive() const;  // requested or running
  // A requested full sync has been tried at least once (it may be retrying: the remote is down).
  bool fullSyncTried() const;
  bool idle() const;            // nothing queued, nothing in flight
  std::size_t queued() const;
  // Appends the paths (and a Move's old path) of every queued and in-flight change: what the journal must
  // still vouch for when it compacts while this target is busy.
  void pendingPaths(std::vector<std::string>* out) const;
  TargetStats stats() const;
  const std::string& name() const { return opt_.name; }
  const std::string& root() const { return opt_.root; }
  const std::string& plugin() const { return opt_.plugin; }
  // The running (or last) full sync's progress, as the plugin reports it through its Host.
  const SyncProgress& progress() const { return host_->syncProgress(); }
  // Changes delivered per 10 s, the last 10 minutes (the status page's chart).
  const RateHistory& deliveredHistory() const { return deliveredHistory_; }

 private:
  using Item = QueuedChange;
  using Slot = TargetQueue::Slot;

  void run();
  // The worker's only waits on cv_. enqueue wakes it only while it waits there: a notify costs a system
  // call, and a worker that is busy looks at the queue again anyway before it waits.
  void waitLocked(std::unique_lock<std::mutex>& lock, std::chrono::steady_clock::time_point until);
  // instance_->deliver, with an exception that escapes the plugin turned into a Retry of the batch.
  sdk::Status callDeliver(const sdk::Batch& batch, sdk::Report& report, std::string* thrown);
  // probe: one attempt per entry (checking whether a failed target is back), logged at debug level.
  void replayFailLogLocked(bool probe = false);
  // The root's filter excludes for a full sync the target starts by itself (replay, replaced directory).
  std::function<std::vector<OwnedExclude>()> rootExcludes() const;
  // retry: the item is an older one coming back from a failed delivery.
  void mergeLocked(Item item, bool retry);
  void pushDeleteOfOldPathLocked(const PendingChange& move, bool front);
  // lstat: path (relative to the root) is not a directory on the source now, or is gone.
  bool notADirectoryNow(std::string_view path) const;
  // The queued item of a proper ancestor of path whose newest change makes that ancestor a non-directory.
  // *pathHash: PathHash::of(path), which the same pass computes.
  Slot nonDirAncestorLocked(std::string_view path, std::uint64_t* pathHash);
  // Drops the queued items whose path lies below dir (a non-directory now); returns their paths.
  // hash: PathHash::of(covering.path).
  std::vector<std::string> coverBelowLocked(const PendingChange& covering, std::uint64_t hash);
  static bool isBarrier(const PendingChange& older, const PendingChange& newer);
  // Delivers sending_.
  void deliverChanges();
  // A directory deleted and made again before its Delete was delivered: rsync saw a directory and sent it
  // without recursing, so the target may still hold the old one's other entries. A full sync mends it.
  void checkReplacedDirsLocked(const std::vector<Item>& items);
  void deliverFullSync(std::function<std::vector<OwnedExclude>()> excludes);
  void onOutcomeLocked(bool ok, const std::string& message);
  void spillToFailLogLocked();
  std::vector<FailEntry> toFailEntries(const std::vector<Item>& items) const;

  Options opt_;
  sdk::Instance* instance_;
  std::unique_ptr<HostServices> host_;
  FailLog& failLog_;
  TransferSlots& slots_;
  const Lifecycle& life_;
  std::function<void()> onStateChange_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  TargetQueue queue_;
  std::function<std::vector<OwnedExclude>()> fullSync_;  // set while a full sync is requested
  bool fullRunning_ = false;
  bool fullTried_ = false;
  bool inFlight_ = false;
  bool waiting_ = false;  // the worker waits on cv_
  // The change batch being delivered. The worker fills and empties it under the lock and reads it
  // without the lock while delivering; pendingPaths() reads it under the lock.
  std::vector<Item> sending_;
  bool finishing_ = false;
  int failures_ = 0;
  std::chrono::steady_clock::time_point backoffUntil_{};
  std::chrono::steady_clock::time_point lastDeliveryEnd_{};
  std::chrono::steady_clock::time_point lastEnqueue_{};
  std::chrono::steady_clock::time_point firstQueued_{};  // when the queue last went from empty to not
  std::uint64_t batchSeq_ = 0;
  TargetStats stats_;
  TransferLog transferLog_{opt_.name};  // which deliveries get an Info line; worker thread only
  RateHistory deliveredHistory_;
  std::mt19937_64 rng_;
  std::thread thread_;
};

// Hands changes to each of a root's targets: copies to all but the last, which takes the vector itself.
void enqueueEach(const std::vector<Target*>& targets, std::vector<PendingChange> changes);

}  // namespace fsrelay
