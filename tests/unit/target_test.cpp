// Unit tests for the per-target queue: batching, ordering across a directory Delete, retry and fail log.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/dispatch/target.hpp"

namespace fsrelay {
namespace {

using namespace std::chrono_literals;

// Records every batch; answers with the statuses queued in `answers` (Ok once they run out).
class FakeInstance final : public sdk::Instance {
 public:
  sdk::Status deliver(const sdk::Batch& batch, sdk::Report&) noexcept override {
    std::unique_lock lock(mutex);
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < batch.event_count; ++i) {
      const auto& e = batch.events[i];
      paths.push_back(std::string(e.op == sdk::Op::Delete ? "D:" : "U:") + std::string(e.path.data, e.path.size));
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

}  // namespace
}  // namespace fsrelay
