// Unit tests for the per-target queue: batching, ordering across a directory Delete, retry and fail log.
#include <gtest/gtest.h>

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/dispatch/target.hpp"

namespace fsrelay {
namespace {

using namespace std::chrono_literals;

// Records every batch ("U:p", "D:p" a directory Delete, "d:p" a file Delete, "M:p from o"); answers with the
// statuses queued in `answers` (Ok once they run out).
class FakeInstance final : public sdk::Instance {
 public:
  sdk::Status deliver(const sdk::Batch& batch, sdk::Report&) noexcept override {
    std::unique_lock lock(mutex);
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < batch.event_count; ++i) {
      const auto& e = batch.events[i];
      std::string path(e.path.data, e.path.size);
      if (e.op == sdk::Op::Move)
        paths.push_back("M:" + path + " from " + std::string(e.old_path.data, e.old_path.size));
      else
        paths.push_back(std::string(e.op == sdk::Op::Delete ? (e.is_dir ? "D:" : "d:") : "U:") + path);
    }
    batches.push_back(paths);
    cv.notify_all();
    gate.wait(lock, [&] { return open; });
    if (answers.empty()) return sdk::Status::Ok;
    auto s = answers.front();
    answers.erase(answers.begin());
    return s;
  }
  void destroy() noexcept override { destroyed = true; }

  bool waitBatches(std::size_t n) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, 5s, [&] { return batches.size() >= n; });
  }
  void setOpen(bool o) {
    std::lock_guard lock(mutex);
    open = o;
    gate.notify_all();
  }

  std::mutex mutex;
  std::condition_variable cv, gate;
  bool open = true;
  std::vector<std::vector<std::string>> batches;
  std::vector<sdk::Status> answers;
  bool destroyed = false;
};

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/fsrelay-target-XXXXXX";
    dir = ::mkdtemp(tmpl);
    failLog = std::make_unique<FailLog>(dir + "/fail.log");
  }
  ~Fixture() {
    target.reset();
    ::unlink((dir + "/fail.log").c_str());
    ::unlink((dir + "/fail.log.tmp").c_str());
    ::rmdir(dir.c_str());
  }
  Target& make(int retryLimit = 3) {
    Target::Options o{"T", dir, "fake", RetryPolicy{retryLimit, 1ms, 2ms}, 1000, {}};
    target = std::make_unique<Target>(o, &instance, std::make_unique<HostServices>("T", life), *failLog, slots, life,
                                      nullptr);
    target->start();
    return *target;
  }
  static PendingChange up(const std::string& p, bool dir = false) { return {sdk::Op::Upsert, dir, p, {}, 0}; }
  static PendingChange del(const std::string& p, bool dir = false) { return {sdk::Op::Delete, dir, p, {}, 0}; }
  static PendingChange mv(const std::string& from, const std::string& to, bool dir = false) {
    return {sdk::Op::Move, dir, to, from, 0};
  }
  // Holds the target busy with a first batch, so that what is enqueued next waits in its queue.
  void busy(Target& t) {
    instance.setOpen(false);
    t.enqueue({up("busy")});
    ASSERT_TRUE(instance.waitBatches(1));
  }
  std::vector<std::string> batch(std::size_t i) {
    std::lock_guard lock(instance.mutex);
    return i < instance.batches.size() ? instance.batches[i] : std::vector<std::string>{};
  }
  std::size_t batchCount() {
    std::lock_guard lock(instance.mutex);
    return instance.batches.size();
  }

  std::string dir;
  Lifecycle life;
  TransferSlots slots{4};
  FakeInstance instance;
  std::unique_ptr<FailLog> failLog;
  std::unique_ptr<Target> target;
};

TEST(Target, lone_change_leaves_at_once_as_one_batch) {
  Fixture f;
  Target& t = f.make();
  t.enqueue({Fixture::up("a")});
  ASSERT_TRUE(f.instance.waitBatches(1));
  EXPECT_EQ(f.instance.batches[0], (std::vector<std::string>{"U:a"}));
}

TEST(Target, changes_queued_during_a_delivery_go_out_together) {
  Fixture f;
  Target& t = f.make();
  f.instance.setOpen(false);
  t.enqueue({Fixture::up("first")});
  ASSERT_TRUE(f.instance.waitBatches(1));
  for (int i = 0; i < 100; ++i) t.enqueue({Fixture::up("f" + std::to_string(i))});
  t.enqueue({Fixture::up("f7")});  // merged, not sent twice
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(2));
  std::this_thread::sleep_for(400ms);  // longer than the gathering window: nothing more may come
  std::lock_guard lock(f.instance.mutex);
  ASSERT_EQ(f.instance.batches.size(), 2u);
  EXPECT_EQ(f.instance.batches[1].size(), 100u);
}

TEST(Target, directory_delete_stays_ahead_of_the_directory_made_again) {
  Fixture f;
  Target& t = f.make();
  f.instance.setOpen(false);
  t.enqueue({Fixture::up("busy")});
  ASSERT_TRUE(f.instance.waitBatches(1));
  t.enqueue({Fixture::del("site", true), Fixture::up("other")});
  t.enqueue({Fixture::up("site", true), Fixture::up("site/new", true)});
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(3));
  std::lock_guard lock(f.instance.mutex);
  EXPECT_EQ(f.instance.batches[1], (std::vector<std::string>{"D:site", "U:other"}));
  EXPECT_EQ(f.instance.batches[2], (std::vector<std::string>{"U:site", "U:site/new"}));
}

TEST(Target, file_delete_then_upsert_merges_into_the_upsert) {
  Fixture f;
  Target& t = f.make();
  f.instance.setOpen(false);
  t.enqueue({Fixture::up("busy")});
  ASSERT_TRUE(f.instance.waitBatches(1));
  t.enqueue({Fixture::del("file")});
  t.enqueue({Fixture::up("file")});
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(2));
  std::lock_guard lock(f.instance.mutex);
  EXPECT_EQ(f.instance.batches[1], (std::vector<std::string>{"U:file"}));
}

TEST(Target, retries_then_writes_the_fail_log_and_replays_it_when_the_target_is_back) {
  Fixture f;
  f.instance.answers = {sdk::Status::Retry, sdk::Status::Retry, sdk::Status::Retry};
  Target& t = f.make(/*retryLimit=*/3);
  t.enqueue({Fixture::up("lost?")});
  ASSERT_TRUE(f.instance.waitBatches(3));
  for (int i = 0; i < 100 && f.failLog->sizeFor("T") == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(f.failLog->sizeFor("T"), 1u);
  EXPECT_EQ(f.failLog->entriesFor("T")[0].path, "lost?");
  // The next delivery succeeds: the target is back, so the fail log is replayed at once and emptied.
  t.enqueue({Fixture::up("next")});
  ASSERT_TRUE(f.instance.waitBatches(5));
  for (int i = 0; i < 100 && f.failLog->sizeFor("T") != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(f.failLog->sizeFor("T"), 0u);
}

TEST(Target, a_failed_target_probes_its_fail_log_without_waiting_for_a_new_change) {
  Fixture f;
  // Down for the three attempts and the first probe, then back; nothing new is ever enqueued.
  f.instance.answers = {sdk::Status::Retry, sdk::Status::Retry, sdk::Status::Retry, sdk::Status::Retry};
  Target& t = f.make(/*retryLimit=*/3);
  t.enqueue({Fixture::up("waiting")});
  ASSERT_TRUE(f.instance.waitBatches(5));
  for (int i = 0; i < 200 && f.failLog->sizeFor("T") != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(f.failLog->sizeFor("T"), 0u) << "the target came back but its fail-log entry was not delivered";
  std::lock_guard lock(f.instance.mutex);
  EXPECT_EQ(f.instance.batches.back(), (std::vector<std::string>{"U:waiting"}));
}

TEST(Target, a_permanent_failure_does_not_mark_the_target_down) {
  Fixture f;
  f.instance.answers = {sdk::Status::Fail};
  Target& t = f.make();
  t.enqueue({Fixture::up("refused")});
  ASSERT_TRUE(f.instance.waitBatches(1));
  std::this_thread::sleep_for(100ms);
  std::lock_guard lock(f.instance.mutex);
  EXPECT_EQ(f.instance.batches.size(), 1u) << "a Fail is not retried by probing";
  EXPECT_EQ(t.stats().retries, 0u);
}

TEST(Target, fail_status_goes_straight_to_the_fail_log) {
  Fixture f;
  f.instance.answers = {sdk::Status::Fail};
  Target& t = f.make();
  t.enqueue({Fixture::del("gone", true)});
  ASSERT_TRUE(f.instance.waitBatches(1));
  for (int i = 0; i < 100 && f.failLog->sizeFor("T") == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(f.failLog->sizeFor("T"), 1u);
  EXPECT_EQ(f.failLog->entriesFor("T")[0].kind, "delete");
}


using Paths = std::vector<std::string>;

// docs/reliability.md, finding 1: a directory replaced by a symlink or a file while a Delete below it waits
// in the queue. In one rsync run the two made rsync keep the directory (exit 24) or fail (23) for good.
TEST(Target, symlink_or_file_where_a_directory_was_drops_the_queued_changes_below_it) {
  Fixture f;
  Target& t = f.make();
  f.busy(t);
  t.enqueue({Fixture::del("a/deep/er/f0.txt"), Fixture::up("a/deep/er/f1.txt"), Fixture::up("other"),
             Fixture::del("ab/x"), Fixture::mv("outside", "a/moved-in")});
  t.enqueue({Fixture::up("a")});  // now a symlink (or a file): not a directory
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(2));
  // The Move into the old directory still deletes its old name; "ab/x" is not below "a".
  EXPECT_EQ(f.batch(1), (Paths{"U:other", "d:ab/x", "d:outside", "U:a"}));
}

TEST(Target, a_non_directory_upsert_covers_nothing_while_the_source_has_a_directory_there) {
  Fixture f;
  ASSERT_EQ(::mkdir((f.dir + "/d").c_str(), 0700), 0);
  Target& t = f.make();
  f.busy(t);
  t.enqueue({Fixture::del("d/x")});
  t.enqueue({Fixture::up("d")});  // a stale type: the source has a directory at d, so d/x stays listed
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(2));
  EXPECT_EQ(f.batch(1), (Paths{"d:d/x", "U:d"}));
  ::rmdir((f.dir + "/d").c_str());
}

TEST(Target, a_change_below_a_queued_symlink_arriving_later_is_dropped) {
  Fixture f;
  f.instance.answers = {sdk::Status::Retry};
  Target& t = f.make();
  f.instance.setOpen(false);
  t.enqueue({Fixture::del("a/x")});  // in flight, and it will fail
  ASSERT_TRUE(f.instance.waitBatches(1));
  t.enqueue({Fixture::up("a")});  // a is a symlink now
  f.instance.setOpen(true);       // the Delete comes back for a retry, behind the symlink's Upsert
  ASSERT_TRUE(f.instance.waitBatches(2));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(f.batch(1), (Paths{"U:a"})) << "sent after the symlink, rsync would turn it back into a directory";
  EXPECT_EQ(f.batchCount(), 2u);
}

TEST(Target, covered_fail_log_entries_leave_the_fail_log_with_the_change_that_covers_them) {
  Fixture f;
  Target& t = f.make();
  f.busy(t);
  f.failLog->add({FailEntry{"T", f.dir, "delete", false, "a/x"}, FailEntry{"T", f.dir, "upsert", false, "a/y"}});
  t.replayFailLog();
  t.enqueue({Fixture::up("a")});
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(2));
  EXPECT_EQ(f.batch(1), (Paths{"U:a"}));
  for (int i = 0; i < 100 && f.failLog->sizeFor("T") != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(f.failLog->sizeFor("T"), 0u) << "covered entries would be replayed forever";
}

TEST(Target, a_directory_again_where_a_covering_symlink_was_queued_goes_out_as_a_replaced_directory) {
  Fixture f;
  Target& t = f.make();
  f.busy(t);
  t.enqueue({Fixture::del("a/x")});
  t.enqueue({Fixture::up("a")});        // symlink: drops a/x
  t.enqueue({Fixture::up("a", true)});  // a directory again before anything went out
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(3));
  // The targets still have the old directory a, with x: a directory Delete of a path the source has
  // again makes the target resync the root (here a is not on disk, so the test sees no full sync).
  EXPECT_EQ(f.batch(1), (Paths{"D:a"}));
  EXPECT_EQ(f.batch(2), (Paths{"U:a"}));
}

// docs/reliability.md, finding 3: Move(a -> b) waits in the queue when Move(b -> c) arrives. Only "c from
// b" went out and a stayed on every target.
TEST(Target, rename_chain_split_across_the_queue_moves_the_first_name) {
  Fixture f;
  Target& t = f.make();
  f.busy(t);
  t.enqueue({Fixture::mv("a", "b")});
  t.enqueue({Fixture::mv("b", "c")});
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(2));
  // b may have replaced a file on the target (mv a b over an existing b), which b -> c would have deleted.
  EXPECT_EQ(f.batch(1), (Paths{"d:b", "M:c from a"}));
}

// A Move's merge unlinks the queued entry of its old path before taking it apart: a later change of that
// path must not find a freed entry (found by AddressSanitizer in ReplacedDir.staging_renamed_over_a_deleted_live_dir).
TEST(Target, a_path_renamed_away_and_made_again_is_a_new_entry) {
  Fixture f;
  Target& t = f.make();
  f.busy(t);
  t.enqueue({Fixture::up("b")});
  t.enqueue({Fixture::mv("b", "c")});  // covers the queued Upsert of b
  t.enqueue({Fixture::up("b")});       // b made again: a new entry, not the erased one
  t.enqueue({Fixture::up("b")});
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(2));
  EXPECT_EQ(f.batch(1), (Paths{"M:c from b", "U:b"}));
}

TEST(Target, directory_rename_chain_split_across_the_queue_moves_the_first_name) {
  Fixture f;
  Target& t = f.make();
  f.busy(t);
  for (int i = 0; i < 4; ++i) {
    t.enqueue({Fixture::mv("d" + std::to_string(i), "d" + std::to_string(i + 1), true),
               Fixture::up("d" + std::to_string(i + 1) + "/sub", true)});  // the watcher's scan of the new name
  }
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(2));
  EXPECT_EQ(f.batch(1), (Paths{"U:d1/sub", "D:d1", "U:d2/sub", "D:d2", "U:d3/sub", "D:d3", "M:d4 from d0",
                               "U:d4/sub"}));
}

TEST(Target, rename_chain_back_to_the_first_name_is_an_upsert_or_for_a_directory_a_resync) {
  Fixture f;
  Target& t = f.make();
  f.busy(t);
  t.enqueue({Fixture::mv("a", "b")});
  t.enqueue({Fixture::mv("b", "a")});
  t.enqueue({Fixture::mv("d", "e", true)});
  t.enqueue({Fixture::mv("e", "d", true)});
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(2));
  EXPECT_EQ(f.batch(1), (Paths{"d:b", "U:a", "D:e", "D:d"}));
}

// docs/reliability.md, finding 6: the probe that found the target back delivered every fail-log entry,
// and the replay that follows a success queued them all again, as they were still in the fail log.
TEST(Target, the_probe_that_finds_the_target_back_is_not_followed_by_a_second_send) {
  Fixture f;
  // Down for the three attempts and the first probe, then back.
  f.instance.answers = {sdk::Status::Retry, sdk::Status::Retry, sdk::Status::Retry, sdk::Status::Retry};
  Target& t = f.make(/*retryLimit=*/3);
  t.enqueue({Fixture::up("waiting"), Fixture::del("gone")});
  ASSERT_TRUE(f.instance.waitBatches(5));
  for (int i = 0; i < 200 && f.failLog->sizeFor("T") != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(f.failLog->sizeFor("T"), 0u);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(f.batchCount(), 5u) << "3 attempts, a failed probe, the probe that succeeded; then nothing";
  EXPECT_EQ(t.stats().delivered, 2u);
}

TEST(Target, a_full_sync_that_finds_the_target_back_runs_once) {
  Fixture f;
  f.instance.answers = {sdk::Status::Retry};  // the first attempt fails, its retry finds the target back
  f.failLog->add({FailEntry{"T", f.dir, "full", true, "."}});
  Target& t = f.make();
  t.requestFullSync();
  ASSERT_TRUE(f.instance.waitBatches(2));
  for (int i = 0; i < 200 && f.failLog->sizeFor("T") != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(f.failLog->sizeFor("T"), 0u);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(f.batchCount(), 2u) << "the replay after the success found the sync's own fail-log entry";
}

TEST(Target, pending_paths_name_what_is_queued_and_in_flight_for_the_journal) {
  Fixture f;
  Target& t = f.make();
  f.busy(t);  // "busy" is in flight
  t.enqueue({Fixture::up("q1"), Fixture::mv("old", "new"), Fixture::del("gone")});
  std::vector<std::string> paths;
  t.pendingPaths(&paths);
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"busy", "gone", "new", "old", "q1"}));
  f.instance.setOpen(true);
  ASSERT_TRUE(f.instance.waitBatches(2));
  for (int i = 0; i < 200 && !t.idle(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(t.idle());
  paths.clear();
  t.pendingPaths(&paths);
  EXPECT_TRUE(paths.empty()) << paths.size() << " paths still pending after delivery";
}

}  // namespace
}  // namespace fsrelay
