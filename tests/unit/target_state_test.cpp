// Unit tests for the target states behind `fsrelay status` and its exit code, and the systemd STATUS line.
#include <gtest/gtest.h>

#include "core/engine/target_state.hpp"
#include "core/service/status_line.hpp"

using namespace fsrelay;

namespace {
TargetStats caughtUp() {
  TargetStats s;
  s.lastOkUnix = 1000;
  return s;
}
}  // namespace

TEST(TargetState, idle_target_with_an_empty_fail_log_is_in_sync) {
  EXPECT_EQ(classifyTarget(caughtUp(), 0), TargetState::InSync);
  EXPECT_EQ(classifyTarget(TargetStats{}, 0), TargetState::InSync) << "nothing to send yet is in sync too";
}

TEST(TargetState, queued_or_in_flight_changes_are_behind) {
  TargetStats s = caughtUp();
  s.queued = 3;
  EXPECT_EQ(classifyTarget(s, 0), TargetState::Behind);
  s.queued = 0;
  s.inFlight = true;
  EXPECT_EQ(classifyTarget(s, 0), TargetState::Behind);
}

TEST(TargetState, a_failure_newer_than_the_last_success_is_failing_and_wins_over_the_rest) {
  TargetStats s = caughtUp();
  s.lastErrorUnix = 1001;
  s.lastError = "rsync exit 10";
  s.queued = 5;
  s.fullSync = "queued";
  EXPECT_EQ(classifyTarget(s, 2), TargetState::Failing);
  s.lastOkUnix = 1002;  // it came back
  EXPECT_EQ(classifyTarget(s, 2), TargetState::FullSync);
}

TEST(TargetState, fail_log_entries_keep_a_caught_up_target_out_of_sync) {
  EXPECT_EQ(classifyTarget(caughtUp(), 1), TargetState::FailLogged);
}

TEST(TargetState, description_names_state_queue_age_and_fail_log) {
  TargetStats s = caughtUp();
  EXPECT_EQ(describeTarget(s, 0, 1003), "in sync; last transfer 3 s ago");
  EXPECT_EQ(describeTarget(TargetStats{}, 0, 1003), "in sync; no transfer yet");
  s.lastErrorUnix = 1100;
  s.lastError = "rsync exit 10 (socket error)\n@ERROR: second line";
  s.queued = 12;
  EXPECT_EQ(describeTarget(s, 4, 1130),
            "failing (rsync exit 10 (socket error); last attempt 30 s ago); 12 queued; last transfer 2 min ago; "
            "4 fail-log entries");
  TargetStats f = caughtUp();
  f.fullSync = "running";
  f.inFlight = true;
  EXPECT_EQ(describeTarget(f, 0, 1000), "full sync running; sending; last transfer 0 s ago");
}

TEST(TargetState, ages_read_naturally) {
  EXPECT_EQ(ageText(-5), "0 s");
  EXPECT_EQ(ageText(119), "119 s");
  EXPECT_EQ(ageText(120), "2 min");
  EXPECT_EQ(ageText(3600), "1 h");
  EXPECT_EQ(ageText(2 * 3600 + 5 * 60), "2 h 5 min");
  EXPECT_EQ(ageText(4 * 86400 + 3 * 3600 + 59), "4 d 3 h");
}

TEST(ServiceStatusLine, counts_dirs_queue_and_targets_in_sync) {
  EngineSummary s;
  s.ready = true;
  s.dirs = 1234;
  s.queued = 12;
  s.targets = 3;
  s.inSync = 2;
  s.fullSyncs = 1;
  EXPECT_EQ(serviceStatusLine(s), "watching 1234 dirs; queue 12; 2/3 targets in sync; 1 full sync running");
  s.failing = 1;
  s.failLogEntries = 7;
  s.fullSyncs = 2;
  EXPECT_EQ(serviceStatusLine(s),
            "watching 1234 dirs; queue 12; 2/3 targets in sync; 2 full syncs running; 1 failing; fail log 7");
  s.ready = false;
  EXPECT_TRUE(serviceStatusLine(s).starts_with("starting: watching 1234 dirs"));
}

TEST(ServiceStatusLine, fanotify_roots_are_counted_as_roots_not_directories) {
  EngineSummary s;
  s.ready = true;
  s.targets = 1;
  s.inSync = 1;
  s.fanotifyRoots = 2;
  EXPECT_EQ(serviceStatusLine(s), "watching 2 roots with fanotify; queue 0; 1/1 targets in sync");
  s.fanotifyRoots = 1;
  s.dirs = 40;
  EXPECT_EQ(serviceStatusLine(s), "watching 1 root with fanotify and 40 dirs with inotify; queue 0; 1/1 targets in sync");
}

TEST(ServiceStatusLine, ready_line_says_how_many_initial_syncs_still_retry) {
  EngineSummary s;
  s.ready = true;
  s.targets = 2;
  s.inSync = 1;
  EXPECT_EQ(serviceReadyLine(s, 0), "ready: watching 0 dirs; queue 0; 1/2 targets in sync");
  EXPECT_EQ(serviceReadyLine(s, 1),
            "ready: watching 0 dirs; queue 0; 1/2 targets in sync; 1 target retries its initial full sync in the "
            "background");
}
