// Unit tests of the coalescer with a fake clock, plus a randomized comparison against a naive model.
#include "core/coalesce/coalescer.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fsrelay {
namespace {

using sdk::Op;

constexpr std::int64_t kTempHold = 1000;
constexpr std::int64_t kWriteHold = 2000;

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Coalescer::Options testOptions() {
  Coalescer::Options options;
  options.tempHoldMs = kTempHold;
  options.writeHoldMs = kWriteHold;
  options.isTemp = [](std::string_view name) { return endsWith(name, "~") || endsWith(name, ".swp"); };
  return options;
}

// "U:path", "D:path", "M:old>path": compact enough to compare whole results in one assertion.
std::string describe(const PendingChange& c) {
  switch (c.op) {
    case Op::Upsert: return "U:" + c.path;
    case Op::Delete: return "D:" + c.path;
    case Op::Move: return "M:" + c.oldPath + ">" + c.path;
  }
  return "?";
}

std::vector<std::string> describe(const std::vector<PendingChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(describe(c));
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

using Strings = std::vector<std::string>;

// Thin wrapper so that tests read like the watcher's event stream.
struct Fixture {
  Coalescer co{testOptions()};
  void create(std::string_view p, std::int64_t t) { co.add(p, ChangeKind::Write, false, true, t, t); }
  void write(std::string_view p, std::int64_t t) { co.add(p, ChangeKind::Write, false, false, t, t); }
  void close(std::string_view p, std::int64_t t) { co.add(p, ChangeKind::Settle, false, false, t, t); }
  void attrib(std::string_view p, std::int64_t t, bool dir = false) {
    co.add(p, ChangeKind::Update, dir, false, t, t);
  }
  void mkdir(std::string_view p, std::int64_t t) { co.add(p, ChangeKind::Update, true, true, t, t); }
  void remove(std::string_view p, std::int64_t t, bool dir = false) {
    co.add(p, ChangeKind::Delete, dir, false, t, t);
  }
  void rename(std::string_view from, std::string_view to, std::int64_t t, bool dir = false) {
    co.move(from, to, dir, t, t);
  }
  Strings take(std::int64_t now, std::size_t max = SIZE_MAX) { return describe(co.takeReady(now, max)); }
  Strings all() { return describe(co.takeAll()); }
};

TEST(Coalescer, create_modify_close_is_one_change) {
  Fixture f;
  f.create("a", 0);
  f.write("a", 5);
  f.write("a", 7);
  f.close("a", 10);
  EXPECT_EQ(f.co.size(), 1u);
  EXPECT_EQ(f.take(10), Strings{"U:a"});
  EXPECT_EQ(f.co.size(), 0u);
}

TEST(Coalescer, write_waits_for_close) {
  Fixture f;
  f.write("a", 0);
  EXPECT_TRUE(f.take(500).empty());
  f.close("a", 600);
  EXPECT_EQ(f.take(600), Strings{"U:a"});
}

TEST(Coalescer, write_without_close_is_sent_write_hold_after_first_write) {
  Fixture f;
  f.write("a", 0);
  f.write("a", 1500);  // later writes do not push the deadline back
  EXPECT_EQ(f.co.nextDeadline(), kWriteHold);
  EXPECT_TRUE(f.take(kWriteHold - 1).empty());
  EXPECT_EQ(f.take(kWriteHold), Strings{"U:a"});
}

TEST(Coalescer, write_after_hold_expiry_starts_a_new_hold) {
  Fixture f;
  f.write("a", 0);
  EXPECT_EQ(f.take(kWriteHold), Strings{"U:a"});
  f.write("a", 2100);
  EXPECT_TRUE(f.take(2200).empty());
  f.close("a", 2300);
  EXPECT_EQ(f.take(2300), Strings{"U:a"});
}

TEST(Coalescer, attribute_change_does_not_end_a_write) {
  Fixture f;
  f.write("a", 0);
  f.attrib("a", 10);
  EXPECT_TRUE(f.take(10).empty());
  EXPECT_EQ(f.take(kWriteHold), Strings{"U:a"});
}

TEST(Coalescer, write_on_a_ready_path_holds_it_again) {
  Fixture f;
  f.attrib("a", 0);
  f.write("a", 10);
  EXPECT_TRUE(f.take(20).empty());
  f.close("a", 30);
  EXPECT_EQ(f.take(30), Strings{"U:a"});
}

TEST(Coalescer, settle_and_update_are_ready_at_once) {
  Fixture f;
  f.close("a", 0);
  f.attrib("b", 0);
  f.mkdir("d", 0);
  EXPECT_EQ(f.take(0), (Strings{"U:a", "U:b", "U:d"}));
}

TEST(Coalescer, create_then_delete_cancels) {
  Fixture f;
  f.create("a", 0);
  f.close("a", 1);
  f.remove("a", 2);
  EXPECT_EQ(f.co.size(), 0u);
  EXPECT_EQ(f.co.nextDeadline(), std::nullopt);
  EXPECT_TRUE(f.all().empty());
}

TEST(Coalescer, delete_of_an_existing_path_is_sent) {
  Fixture f;
  f.write("a", 0);
  f.close("a", 1);
  f.remove("a", 2);
  EXPECT_EQ(f.all(), Strings{"D:a"});
}

TEST(Coalescer, path_that_started_as_delete_is_not_born_when_recreated) {
  Fixture f;
  f.remove("a", 0);
  f.create("a", 1);  // born, but the targets still have the old "a"
  f.close("a", 2);
  EXPECT_EQ(f.co.size(), 1u);
  f.remove("a", 3);
  EXPECT_EQ(f.all(), Strings{"D:a"});
}

TEST(Coalescer, recreated_path_is_an_upsert) {
  Fixture f;
  f.remove("a", 0);
  f.create("a", 1);
  f.close("a", 2);
  EXPECT_EQ(f.all(), Strings{"U:a"});
}

TEST(Coalescer, path_created_after_its_change_was_taken_is_born_again) {
  Fixture f;
  f.create("a", 0);
  f.close("a", 0);
  EXPECT_EQ(f.take(0), Strings{"U:a"});
  f.remove("a", 5);  // the targets have it now
  EXPECT_EQ(f.take(5), Strings{"D:a"});
  f.create("a", 6);
  f.remove("a", 7);
  EXPECT_TRUE(f.all().empty());
}

TEST(Coalescer, temp_file_created_and_deleted_within_temp_hold_sends_nothing) {
  Fixture f;
  f.create(".index.html.swp", 0);
  f.close(".index.html.swp", 10);
  EXPECT_TRUE(f.take(500).empty());
  f.remove(".index.html.swp", 900);
  EXPECT_EQ(f.co.size(), 0u);
  EXPECT_TRUE(f.take(5000).empty());
}

TEST(Coalescer, temp_file_waits_temp_hold_after_its_last_event) {
  Fixture f;
  f.close("notes~", 0);
  EXPECT_EQ(f.co.nextDeadline(), kTempHold);
  f.attrib("notes~", 600);
  EXPECT_EQ(f.co.nextDeadline(), 600 + kTempHold);
  EXPECT_TRUE(f.take(kTempHold).empty());
  EXPECT_EQ(f.take(600 + kTempHold), Strings{"U:notes~"});
}

TEST(Coalescer, temp_hold_applies_to_files_only) {
  Fixture f;
  f.mkdir("backup~", 0);
  EXPECT_EQ(f.take(0), Strings{"U:backup~"});
}

TEST(Coalescer, directory_delete_swallows_pending_children) {
  Fixture f;
  f.close("d/a", 0);
  f.attrib("d/b/c", 1);
  f.remove("d/e", 2);
  f.create("d/new", 2);
  f.close("d2/x", 3);  // a sibling whose name starts like the directory: not a child
  f.close("d.txt", 4);
  f.close("dx", 5);
  f.remove("d", 6, /*dir=*/true);
  EXPECT_EQ(f.co.size(), 4u);
  EXPECT_EQ(sorted(f.all()), (Strings{"D:d", "U:d.txt", "U:d2/x", "U:dx"}));
}

// rm -rf site && mkdir site before the Delete went out: rsync lists paths without recursion, so the
// targets would keep the old site's other entries, which no pending change names any more. The
// directory goes out as a Delete of a path the source has again, and the dispatcher resyncs the root.
TEST(Coalescer, directory_deleted_and_made_again_goes_out_as_a_replaced_directory_delete) {
  Fixture f;
  f.remove("site/old/page.html", 0);
  f.remove("site/old", 0, /*dir=*/true);
  f.remove("site/index.html", 0);
  f.remove("site", 0, /*dir=*/true);
  f.mkdir("site", 1);
  f.create("site/index.html", 2);
  f.close("site/index.html", 2);
  auto changes = f.co.takeAll();
  EXPECT_EQ(sorted(describe(changes)), (Strings{"D:site", "U:site/index.html"}));
  for (const auto& c : changes) {
    if (c.op == Op::Delete) {
      EXPECT_TRUE(c.isDir);
    }
  }
}

TEST(Coalescer, directory_renamed_over_a_deleted_one_goes_out_as_a_replaced_directory_delete) {
  Fixture f;
  f.remove("live/app.js", 0);
  f.remove("live", 0, /*dir=*/true);
  f.rename("staging", "live", 1, /*dir=*/true);
  EXPECT_EQ(f.all(), Strings{"D:live"});  // the resync also removes "staging" from the targets
}

TEST(Coalescer, replaced_directory_ends_the_born_status_of_pending_paths) {
  Fixture f;
  f.create("x.swp", 0);  // held by its temp name
  f.remove("d", 0, /*dir=*/true);
  f.mkdir("d", 0);
  EXPECT_EQ(f.take(0), Strings{"D:d"});
  f.remove("x.swp", 10);  // the resync for d may have copied it
  EXPECT_EQ(f.all(), Strings{"D:x.swp"});
}

TEST(Coalescer, directory_renamed_back_goes_out_as_a_replaced_directory_delete) {
  Fixture f;
  f.close("d/x", 0);
  f.rename("d", "e", 1, /*dir=*/true);  // drops d/x's change...
  f.rename("e", "d", 2, /*dir=*/true);  // ...which only a resync brings back
  EXPECT_EQ(sorted(f.all()), (Strings{"D:d", "D:e"}));
}

TEST(Coalescer, directory_renamed_from_a_name_that_came_back_goes_out_as_a_replaced_directory_delete) {
  Fixture f;
  f.rename("logs", "logs.1", 0, /*dir=*/true);
  f.mkdir("logs", 1);  // the targets' old logs keeps its entries; logs.1 needs the whole tree
  EXPECT_EQ(sorted(f.all()), (Strings{"D:logs", "D:logs.1"}));
}

TEST(Coalescer, file_made_again_where_a_directory_was_is_a_plain_upsert) {
  Fixture f;
  f.remove("p", 0, /*dir=*/true);
  f.create("p", 1);  // rsync --force replaces the old directory with the file
  f.close("p", 1);
  EXPECT_EQ(f.all(), Strings{"U:p"});
}

TEST(Coalescer, file_made_where_a_directory_was_covers_the_old_name_of_a_file_renamed_out_of_it) {
  Fixture f;
  f.rename("p/x", "y", 0);
  f.remove("p", 1, /*dir=*/true);
  f.create("p", 2);  // a file where the directory was: "D:p/x" next to "U:p" would make rsync fail (23)
  f.close("p", 2);
  EXPECT_EQ(sorted(f.all()), (Strings{"U:p", "U:y"}));
}

TEST(Coalescer, symlink_made_where_a_directory_was_covers_the_old_name_of_a_directory_renamed_out_of_it) {
  Fixture f;
  f.rename("p/d", "e", 0, /*dir=*/true);
  f.remove("p", 1, /*dir=*/true);
  f.attrib("p", 2);  // ln -s elsewhere p: a symlink is a complete change of a non-directory
  auto changes = f.co.takeAll();
  // Without its Move, plugins would not send e's subtree: e goes out as a replaced directory (resync).
  EXPECT_EQ(sorted(describe(changes)), (Strings{"D:e", "U:p"}));
  for (const auto& c : changes)
    if (c.path == "e") EXPECT_TRUE(c.isDir);
}

TEST(Coalescer, file_renamed_over_a_deleted_directory_covers_what_was_below_it) {
  Fixture f;
  f.rename("q/x", "y", 0);
  f.remove("q", 1, /*dir=*/true);
  f.rename("z", "q", 2);  // no "U:q/x": the source cannot have a path below a file
  EXPECT_EQ(sorted(f.all()), (Strings{"M:z>q", "U:y"}));
}

TEST(Coalescer, deleted_directory_reports_is_dir) {
  Fixture f;
  f.remove("d", 0, /*dir=*/true);
  auto changes = f.co.takeAll();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].isDir);
}

TEST(Coalescer, delete_keeps_is_dir_when_a_directory_was_replaced_by_a_file) {
  Fixture f;
  f.remove("p", 0, /*dir=*/true);
  f.create("p", 1);  // now a file...
  f.remove("p", 2);  // ...gone again; the targets may still hold the old directory
  auto changes = f.co.takeAll();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].op, Op::Delete);
  EXPECT_TRUE(changes[0].isDir);
}

TEST(Coalescer, born_directory_delete_cancels_its_whole_subtree) {
  Fixture f;
  f.mkdir("d", 0);
  f.mkdir("d/e", 1);
  f.create("d/e/x", 2);
  f.close("d/e/x", 3);
  f.remove("d", 4, /*dir=*/true);  // the watcher may report only the top directory
  EXPECT_EQ(f.co.size(), 0u);
  EXPECT_TRUE(f.all().empty());
}

TEST(Coalescer, rename_is_one_move) {
  Fixture f;
  f.rename("a", "b", 0);
  EXPECT_EQ(f.co.size(), 2u);  // the Delete of a and the Upsert of b, paired on the way out
  auto changes = f.co.takeReady(0);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].op, Op::Move);
  EXPECT_EQ(changes[0].oldPath, "a");
  EXPECT_EQ(changes[0].path, "b");
  EXPECT_EQ(f.co.size(), 0u);
}

TEST(Coalescer, rename_pairs_even_when_max_is_one) {
  Fixture f;
  f.close("z", 0);
  f.rename("a", "b", 0);
  EXPECT_EQ(f.take(0, 1), Strings{"U:z"});
  EXPECT_EQ(f.take(0, 1), Strings{"M:a>b"});
  EXPECT_TRUE(f.all().empty());
}

TEST(Coalescer, rename_of_directory_is_one_move_that_carries_its_children) {
  Fixture f;
  f.close("d/x", 0);  // goes with d: the Move sends e whole
  f.rename("d", "e", 1, /*dir=*/true);
  auto changes = f.co.takeAll();
  ASSERT_EQ(describe(changes), Strings{"M:d>e"});
  EXPECT_TRUE(changes[0].isDir);
}

TEST(Coalescer, rename_over_an_emptied_directory_turns_its_pending_deletes_into_upserts) {
  Fixture f;
  f.remove("live/old.css", 0);  // live was emptied...
  f.remove("live/app.js", 0);
  f.rename("staging", "live", 1, /*dir=*/true);  // ...and staging renamed over it, maybe with app.js
  // Upserts: the targets lose old.css (the source lacks it) and get the new app.js if there is one.
  EXPECT_EQ(sorted(f.all()), (Strings{"M:staging>live", "U:live/app.js", "U:live/old.css"}));
}

TEST(Coalescer, rename_of_directory_created_in_window_is_still_a_move) {
  Fixture f;
  f.mkdir("release.tmp", 0);  // the publish-by-rename pattern: build a tree, then rename it into place
  f.create("release.tmp/index.html", 1);
  f.close("release.tmp/index.html", 2);
  f.rename("release.tmp", "release", 3, /*dir=*/true);
  // A Move tells plugins to send the new subtree; its old name was never on a target (harmless).
  EXPECT_EQ(f.all(), Strings{"M:release.tmp>release"});
}

TEST(Coalescer, renamed_new_directory_removed_again_leaves_only_the_delete_of_its_new_name) {
  Fixture f;
  f.mkdir("tmp", 0);
  f.rename("tmp", "final", 1, /*dir=*/true);
  f.remove("final", 2, /*dir=*/true);  // "final" may have replaced an empty directory the targets have
  EXPECT_EQ(f.all(), Strings{"D:final"});
}

TEST(Coalescer, directory_rename_survives_deletion_of_its_old_parent) {
  Fixture f;
  f.rename("p/keep", "keep", 0, /*dir=*/true);
  f.remove("p", 1, /*dir=*/true);
  EXPECT_EQ(sorted(f.all()), (Strings{"D:p", "M:p/keep>keep"}));
}

TEST(Coalescer, rename_out_of_a_renamed_directory_needs_no_separate_delete) {
  Fixture f;
  f.rename("a/x", "y", 0);
  f.rename("a", "b", 1, /*dir=*/true);
  f.remove("y", 2);  // the pair a/x -> y breaks; the Move of a deletes a/x on the targets anyway
  EXPECT_EQ(sorted(f.all()), (Strings{"D:y", "M:a>b"}));
}

TEST(Coalescer, directory_sent_with_its_subtree_makes_pending_children_not_born) {
  Fixture f;
  f.mkdir("d", 0);
  f.create("d/x.swp", 0);  // held by its temp name while d goes out
  f.close("d/x.swp", 0);
  EXPECT_EQ(f.take(0), Strings{"U:d"});
  f.remove("d/x.swp", 10);  // d may have been sent with x.swp in it: the Delete is needed now
  EXPECT_EQ(f.all(), Strings{"D:d/x.swp"});
}

TEST(Coalescer, root_sent_with_its_subtree_makes_every_pending_path_not_born) {
  Fixture f;
  f.create("sub/x.swp", 0);
  f.attrib(".", 0, /*dir=*/true);  // the root itself is "."
  EXPECT_EQ(f.take(0), Strings{"U:."});
  f.remove("sub/x.swp", 10);
  EXPECT_EQ(f.all(), Strings{"D:sub/x.swp"});
}

TEST(Coalescer, rename_of_file_created_in_window_is_a_plain_upsert) {
  Fixture f;
  f.create(".tmp.part", 0);  // the save-as-temp-then-rename pattern
  f.close(".tmp.part", 1);
  f.rename(".tmp.part", "report.pdf", 2);
  EXPECT_EQ(f.all(), Strings{"U:report.pdf"});
}

TEST(Coalescer, chain_rename_moves_first_name_to_last) {
  Fixture f;
  f.rename("a", "b", 0);
  f.rename("b", "c", 1);
  // The targets had a; they must lose it and get c. "b" may have been an existing file that the first
  // rename replaced (a rename does not say), so its Delete is sent too.
  EXPECT_EQ(sorted(f.all()), (Strings{"D:b", "M:a>c"}));
}

TEST(Coalescer, chain_through_a_new_name_needs_no_extra_delete) {
  Fixture f;
  f.create("b", 0);  // b is new in this window...
  f.close("b", 0);
  f.rename("a", "b", 1);  // ...so replacing it leaves nothing to delete under that name
  f.rename("b", "c", 2);
  EXPECT_EQ(f.all(), Strings{"M:a>c"});
}

TEST(Coalescer, rename_back_is_an_upsert_of_the_original_name) {
  Fixture f;
  f.rename("a", "b", 0);
  f.rename("b", "a", 1);
  EXPECT_EQ(sorted(f.all()), (Strings{"D:b", "U:a"}));
}

TEST(Coalescer, rename_over_existing_file_then_delete_deletes_both_names) {
  Fixture f;
  f.rename("a", "b", 0);  // b existed on the targets: the rename replaced it
  f.remove("b", 1);
  EXPECT_EQ(sorted(f.all()), (Strings{"D:a", "D:b"}));
}

TEST(Coalescer, rename_then_old_name_recreated_degrades_to_upserts) {
  Fixture f;
  f.rename("log", "log.1", 0);
  f.create("log", 1);
  f.close("log", 2);
  EXPECT_EQ(sorted(f.all()), (Strings{"U:log", "U:log.1"}));
}

TEST(Coalescer, rename_of_file_being_written_waits_for_its_close_and_stays_a_move) {
  Fixture f;
  f.write("a", 0);
  f.rename("a", "b", 10);
  EXPECT_TRUE(f.take(100).empty());  // the Delete of a waits for its partner
  f.close("b", 200);
  EXPECT_EQ(f.take(200), Strings{"M:a>b"});
}

TEST(Coalescer, rename_then_delete_of_new_name_sends_deletes) {
  Fixture f;
  f.rename("a", "b", 0);
  f.remove("b", 1);
  EXPECT_EQ(sorted(f.all()), (Strings{"D:a", "D:b"}));
}

TEST(Coalescer, rename_into_a_directory_deleted_later_is_swallowed_with_it) {
  Fixture f;
  f.rename("a", "d/a", 0);
  f.remove("d", 1, /*dir=*/true);  // only the directory is reported
  EXPECT_EQ(sorted(f.all()), (Strings{"D:a", "D:d"}));
}

TEST(Coalescer, move_out_of_root_is_a_delete) {
  Fixture f;
  f.close("d/x", 0);
  f.remove("d", 1, /*dir=*/true);  // IN_MOVED_FROM without a partner
  EXPECT_EQ(f.all(), Strings{"D:d"});
}

TEST(Coalescer, precise_deletes_turn_a_cancelled_pair_into_a_delete) {
  Fixture f;
  f.co.setPreciseDeletes(true);
  f.create("a", 0);
  f.close("a", 1);
  f.remove("a", 2);
  EXPECT_EQ(f.all(), Strings{"D:a"});
}

TEST(Coalescer, precise_deletes_cover_paths_born_before_the_full_sync_began) {
  Fixture f;
  f.create("a", 0);
  f.close("a", 0);
  f.co.setPreciseDeletes(true);   // a full sync starts and may copy "a"
  f.co.setPreciseDeletes(false);  // it ends
  f.remove("a", 5);
  EXPECT_EQ(f.all(), Strings{"D:a"});
}

TEST(Coalescer, precise_deletes_apply_to_a_renamed_new_file) {
  Fixture f;
  f.co.setPreciseDeletes(true);
  f.create("a", 0);
  f.close("a", 0);
  f.rename("a", "b", 1);
  EXPECT_EQ(f.all(), Strings{"M:a>b"});
}

TEST(Coalescer, paths_created_during_a_full_sync_are_not_born) {
  Fixture f;
  f.co.setPreciseDeletes(true);
  f.create("a", 0);  // the running full sync may copy it
  f.close("a", 0);
  f.co.setPreciseDeletes(false);
  f.remove("a", 5);
  EXPECT_EQ(f.all(), Strings{"D:a"});
}

TEST(Coalescer, paths_born_after_the_full_sync_cancel_again) {
  Fixture f;
  f.co.setPreciseDeletes(true);
  f.co.setPreciseDeletes(false);
  f.create("a", 0);
  f.remove("a", 1);
  EXPECT_TRUE(f.all().empty());
}

TEST(Coalescer, take_ready_returns_in_readiness_order_up_to_max) {
  Fixture f;
  f.write("late", 0);  // ready at kWriteHold
  f.close("first", 5);
  f.close("second", 10);
  f.close("third", 10);
  EXPECT_EQ(f.take(10, 2), (Strings{"U:first", "U:second"}));
  EXPECT_EQ(f.take(10), Strings{"U:third"});
  EXPECT_EQ(f.take(kWriteHold), Strings{"U:late"});
}

TEST(Coalescer, equal_deadlines_come_out_in_arrival_order) {
  Fixture f;
  for (const char* p : {"c", "a", "b", "e", "d"}) f.close(p, 7);
  EXPECT_EQ(f.take(7), (Strings{"U:c", "U:a", "U:b", "U:e", "U:d"}));
}

TEST(Coalescer, ready_path_keeps_its_place_when_it_changes_again) {
  Fixture f;
  f.close("a", 0);
  f.close("b", 1);
  f.attrib("a", 2);
  EXPECT_EQ(f.take(2), (Strings{"U:a", "U:b"}));
}

TEST(Coalescer, next_deadline_is_the_earliest_pending_readiness) {
  Fixture f;
  EXPECT_EQ(f.co.nextDeadline(), std::nullopt);
  f.write("a", 0);
  EXPECT_EQ(f.co.nextDeadline(), kWriteHold);
  f.close("b~", 100);
  EXPECT_EQ(f.co.nextDeadline(), 100 + kTempHold);
  f.close("c", 300);
  EXPECT_EQ(f.co.nextDeadline(), 300);
  EXPECT_EQ(f.take(300), Strings{"U:c"});
  EXPECT_EQ(f.co.nextDeadline(), 100 + kTempHold);
  f.remove("b~", 400);  // an existing temp file: its Delete is due at once
  EXPECT_EQ(f.co.nextDeadline(), 400);
}

TEST(Coalescer, take_all_returns_everything_ready_or_not) {
  Fixture f;
  f.write("a", 0);
  f.close("b~", 0);
  f.remove("c", 0);
  EXPECT_EQ(sorted(f.all()), (Strings{"D:c", "U:a", "U:b~"}));
  EXPECT_EQ(f.co.size(), 0u);
}

TEST(Coalescer, change_carries_wall_time_of_its_last_event) {
  Coalescer co(testOptions());
  co.add("a", ChangeKind::Write, false, true, 0, 111);
  co.add("a", ChangeKind::Settle, false, false, 5, 222);
  auto changes = co.takeAll();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].wallNs, 222);
  EXPECT_FALSE(changes[0].isDir);
}

TEST(Coalescer, many_reschedules_keep_the_queue_exact) {
  Fixture f;
  // Temp names are rescheduled on every event: thousands of stale heap items must not leak out.
  for (int i = 0; i < 20000; ++i) f.attrib("t" + std::to_string(i % 7) + "~", i);
  EXPECT_EQ(f.co.size(), 7u);
  EXPECT_TRUE(f.take(20000 - 8 + kTempHold - 1).empty());
  EXPECT_EQ(f.take(20000 + kTempHold).size(), 7u);
  EXPECT_EQ(f.co.nextDeadline(), std::nullopt);
}

// Names that extend a directory's ("d.old", "d-2/x", "d!1") sort between "d" and "d/...": the range of
// its descendants starts after them, however many there are.
TEST(Coalescer, directory_delete_spares_names_that_sort_between_it_and_its_children) {
  for (int siblings : {0, 2, 12}) {
    Fixture f;
    f.co.setPreciseDeletes(true);  // nothing cancels: every path below stays visible in the result
    Strings expected{"D:d"};
    for (int i = 0; i < siblings; ++i) {
      std::string name = "d" + std::string(1, "!#-."[i % 4]) + std::to_string(i) + (i % 3 == 0 ? "/x" : "");
      f.close(name, 0);
      expected.push_back("U:" + name);
    }
    f.close("d/a", 0);
    f.close("d/b/c", 0);
    f.close("d0", 0);
    expected.push_back("U:d0");
    f.remove("d", 1, /*dir=*/true);
    EXPECT_EQ(sorted(f.all()), sorted(expected)) << siblings << " siblings";
  }
}

TEST(Coalescer, file_made_where_a_directory_was_spares_names_that_sort_between_it_and_its_children) {
  Fixture f;
  f.co.setPreciseDeletes(true);
  for (const char* p : {"d.1", "d.2", "d.3", "d.4", "d.5", "d/a", "d/b"}) f.close(p, 0);
  f.remove("d", 1, /*dir=*/true);
  f.close("d", 2);
  EXPECT_EQ(sorted(f.all()), (Strings{"U:d", "U:d.1", "U:d.2", "U:d.3", "U:d.4", "U:d.5"}));
}

TEST(Coalescer, readiness_order_holds_when_the_clock_steps_back) {
  Fixture f;
  f.close("a", 10);
  f.close("b", 5);
  f.write("c", 0);  // held until kWriteHold
  f.close("d", 10);
  EXPECT_EQ(f.co.nextDeadline(), 5);
  EXPECT_EQ(f.take(10), (Strings{"U:b", "U:a", "U:d"}));
  EXPECT_EQ(f.take(kWriteHold), Strings{"U:c"});
}

TEST(Coalescer, long_backlog_taken_in_small_steps_keeps_its_order) {
  Fixture f;
  Strings expected, got;
  for (int i = 0; i < 5000; ++i) {
    // Each close is due at once; every 7th path also has a held write, due kWriteHold later.
    f.close("f" + std::to_string(i), i);
    if (i % 7 == 0) f.write("held" + std::to_string(i), i);
    if (i % 50 == 49) {
      for (auto& c : f.take(i, 30)) got.push_back(c);
    }
  }
  for (auto& c : f.all()) got.push_back(c);
  // Readiness order: path i is due at i, held path i at i + kWriteHold (before the close due then,
  // which came later).
  std::vector<std::pair<std::int64_t, std::string>> due;
  for (int i = 0; i < 5000; ++i) {
    due.emplace_back(2 * i, "U:f" + std::to_string(i));
    if (i % 7 == 0) due.emplace_back(2 * (i + kWriteHold) - 1, "U:held" + std::to_string(i));
  }
  std::sort(due.begin(), due.end());
  for (auto& [at, change] : due) expected.push_back(change);
  EXPECT_EQ(got, expected);
}

TEST(Coalescer, memory_released_after_a_burst_leaves_it_working) {
  Fixture f;
  for (int i = 0; i < 5000; ++i) f.close("f" + std::to_string(i), 0);
  f.attrib("held~", 0);  // pending: the release must leave it alone
  EXPECT_EQ(f.take(1).size(), 5000u);
  f.co.releaseMemory();
  EXPECT_EQ(f.co.size(), 1u);
  EXPECT_EQ(f.take(kTempHold), Strings{"U:held~"});
  auto heapInUse = [] {
    struct mallinfo2 m = ::mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  const std::size_t before = heapInUse();
  f.co.releaseMemory();  // nothing pending now: the arrays go (5,000 slots of ~150 bytes)
  EXPECT_GT(before, heapInUse() + 300'000) << "the slot array kept its capacity";
  EXPECT_EQ(f.co.nextDeadline(), std::nullopt);
  f.close("again", kTempHold + 1);
  f.remove("f1", kTempHold + 1);
  EXPECT_EQ(sorted(f.all()), (Strings{"D:f1", "U:again"}));
}

// ---------------------------------------------------------------------------------------------------
// Randomized comparison with a naive reference.
//
// The reference is a plain replay: every source operation is applied to a simulated source tree and
// logged; two target trees change only when taken changes are applied to them, each with one reading of
// the changes:
//  - the contract (coalescer.cpp's header): Upsert(p) copies the source's p with its subtree at that
//    moment, or removes p if the source lacks it; Delete(p) removes p and its subtree; Move(o, p) is
//    Delete(o) then Upsert(p);
//  - the rsync plugin's: every path is listed without recursion (rsync -d --files-from), a listed path
//    the source lacks is removed (--delete-missing-args), a Move's new path is sent with its subtree
//    but nothing extra is deleted under it.
// In both, a directory Delete of a path the source has again is the replaced-directory signal, which the
// dispatcher answers with a resync of the root. Whatever the coalescer does, once everything is taken
// both target trees must equal the source tree. In runs with a single window (nothing taken before the
// end, no full sync) the reference also knows the targets' starting state, so it checks the "no
// unnecessary transfer" rules that the coalescer promises.

struct Node {
  bool dir = false;
  int version = 0;  // content or attributes; -1 for a directory rsync created implicitly
  bool operator==(const Node&) const = default;
};
using Tree = std::map<std::string, Node>;

bool under(std::string_view path, std::string_view dir) {
  return path.size() > dir.size() && path[dir.size()] == '/' && path.substr(0, dir.size()) == dir;
}

bool underOrSelf(std::string_view path, std::string_view dir) { return path == dir || under(path, dir); }

std::string parentOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

bool hasParent(const Tree& tree, const std::string& path) {
  std::string parent = parentOf(path);
  if (parent.empty()) return true;
  auto it = tree.find(parent);
  return it != tree.end() && it->second.dir;
}

void eraseSubtree(Tree& tree, const std::string& path) {
  tree.erase(path);
  for (auto it = tree.lower_bound(path + "/"); it != tree.end() && under(it->first, path);) it = tree.erase(it);
}

std::vector<std::string> subtree(const Tree& tree, const std::string& path) {
  std::vector<std::string> out;
  for (auto it = tree.lower_bound(path + "/"); it != tree.end() && under(it->first, path); ++it)
    out.push_back(it->first);
  return out;
}

void upsert(Tree& target, const Tree& source, const std::string& path) {
  eraseSubtree(target, path);
  auto it = source.find(path);
  if (it == source.end()) return;
  for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    auto& ancestor = target[path.substr(0, slash)];
    if (!ancestor.dir) ancestor = Node{true, -1};
  }
  target[path] = it->second;
  for (const auto& child : subtree(source, path)) target[child] = source.at(child);
}

void apply(Tree& target, const Tree& source, const PendingChange& change) {
  switch (change.op) {
    case Op::Upsert: upsert(target, source, change.path); break;
    case Op::Delete: {
      // A directory Delete of a path the source has again is the "replaced directory" signal: the
      // dispatcher answers it with a full resync of the root (Target::checkReplacedDirsLocked).
      auto it = source.find(change.path);
      if (change.isDir && it != source.end() && it->second.dir) {
        target = source;
      } else {
        eraseSubtree(target, change.path);
      }
      break;
    }
    case Op::Move:
      eraseSubtree(target, change.oldPath);
      upsert(target, source, change.path);
      break;
  }
}

// rsync on one listed path: make it equal to the source's, the subtree too only when recursive, and
// never delete what the source lacks below it.
void rsyncPath(Tree& target, const Tree& source, const std::string& path, bool recursive) {
  auto it = source.find(path);
  if (it == source.end()) {
    eraseSubtree(target, path);
    return;
  }
  for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    auto& ancestor = target[path.substr(0, slash)];
    if (!ancestor.dir) ancestor = Node{true, -1};
  }
  auto copy = [&](const std::string& p, const Node& node) {
    auto t = target.find(p);
    if (t != target.end() && t->second.dir != node.dir) eraseSubtree(target, p);  // --force
    target[p] = node;
  };
  copy(path, it->second);
  if (recursive) {
    for (const auto& child : subtree(source, path)) copy(child, source.at(child));
  }
}

void applyRsync(Tree& target, const Tree& source, const PendingChange& change) {
  switch (change.op) {
    case Op::Upsert: rsyncPath(target, source, change.path, false); break;
    case Op::Delete: {
      auto it = source.find(change.path);
      if (change.isDir && it != source.end() && it->second.dir) {
        target = source;  // the replaced-directory resync
      } else {
        rsyncPath(target, source, change.path, false);
      }
      break;
    }
    case Op::Move:
      rsyncPath(target, source, change.oldPath, false);
      rsyncPath(target, source, change.path, true);
      break;
  }
}

std::string dump(const Tree& tree) {
  std::ostringstream out;
  for (const auto& [path, node] : tree) out << "  " << path << (node.dir ? "/" : "") << " v" << node.version << "\n";
  return out.str();
}

class Simulation {
 public:
  Simulation(std::uint64_t seed, bool singleWindow) : rng_(seed), singleWindow_(singleWindow) {
    for (const char* a : kNames) {
      universe_.push_back(a);
      for (const char* b : kNames) {
        universe_.push_back(std::string(a) + "/" + b);
        for (const char* c : kNames) universe_.push_back(std::string(a) + "/" + b + "/" + c);
      }
    }
    std::sort(universe_.begin(), universe_.end(), [](const auto& x, const auto& y) {
      auto depth = [](const std::string& s) { return std::count(s.begin(), s.end(), '/'); };
      return depth(x) != depth(y) ? depth(x) < depth(y) : x < y;
    });
    for (const auto& p : universe_) {  // a random starting tree, already equal on the targets
      if (hasParent(source_, p) && chance(0.45)) source_[p] = Node{chance(0.5), ++version_};
    }
    target_ = source_;
    rsyncTarget_ = source_;
    start_ = source_;
  }

  // Runs one random sequence; returns an empty string or what went wrong, with the operation log.
  std::string run(int steps) {
    for (int i = 0; i < steps && failure_.empty(); ++i) step();
    if (failure_.empty()) finish();
    if (failure_.empty()) return {};
    std::ostringstream out;
    out << failure_ << "\noperations:\n";
    for (const auto& line : log_) out << "  " << line << "\n";
    out << "source:\n" << dump(source_) << "target:\n" << dump(target_) << "rsync target:\n"
        << dump(rsyncTarget_);
    return out.str();
  }

 private:
  static constexpr const char* kNames[] = {"a", "b", "c~"};  // "c~" is a temp name for files

  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  template <typename Pred>
  std::optional<std::string> pick(Pred pred) {
    std::vector<std::string> candidates;
    for (const auto& p : universe_)
      if (pred(p)) candidates.push_back(p);
    if (candidates.empty()) return std::nullopt;
    return candidates[uniform(0, static_cast<int>(candidates.size()) - 1)];
  }

  bool exists(const std::string& p) const { return source_.count(p) != 0; }
  bool isFile(const std::string& p) const { return exists(p) && !source_.at(p).dir; }
  bool isDir(const std::string& p) const { return exists(p) && source_.at(p).dir; }
  std::int64_t wall() const { return now_ * 1000000; }

  void add(const std::string& p, ChangeKind kind, bool dir, bool born, const char* what) {
    log_.push_back(std::string(what) + " " + p + " @" + std::to_string(now_));
    co_.add(p, kind, dir, born, now_, wall());
  }

  void step() {
    switch (uniform(0, 15)) {
      case 0:
      case 1: {  // create a file (IN_CREATE, then maybe IN_CLOSE_WRITE at once)
        auto p = pick([&](const auto& q) { return !exists(q) && hasParent(source_, q); });
        if (!p) return;
        source_[*p] = Node{false, ++version_};
        add(*p, ChangeKind::Write, false, true, "create");
        if (chance(0.6)) add(*p, ChangeKind::Settle, false, false, "close");
        return;
      }
      case 2: {  // write more data into an existing file
        auto p = pick([&](const auto& q) { return isFile(q); });
        if (!p) return;
        source_[*p].version = ++version_;
        add(*p, ChangeKind::Write, false, false, "write");
        if (chance(0.4)) add(*p, ChangeKind::Settle, false, false, "close");
        return;
      }
      case 3: {  // the writer closes
        auto p = pick([&](const auto& q) { return isFile(q); });
        if (p) add(*p, ChangeKind::Settle, false, false, "close");
        return;
      }
      case 4: {  // attributes of a file or a directory
        auto p = pick([&](const auto& q) { return exists(q); });
        if (!p) return;
        source_[*p].version = ++version_;
        add(*p, ChangeKind::Update, source_[*p].dir, false, "attrib");
        return;
      }
      case 5: {  // mkdir
        auto p = pick([&](const auto& q) { return !exists(q) && hasParent(source_, q); });
        if (!p) return;
        source_[*p] = Node{true, ++version_};
        add(*p, ChangeKind::Update, true, true, "mkdir");
        return;
      }
      case 6:
      case 7: {  // rm / rm -r: the watcher reports the children bottom-up, or (watch gone) only the top
        auto p = pick([&](const auto& q) { return exists(q); });
        if (!p) return;
        bool dir = source_[*p].dir;
        std::vector<std::pair<std::string, bool>> children;
        for (const auto& c : subtree(source_, *p)) children.emplace_back(c, source_[c].dir);
        bool reportChildren = chance(0.5);
        eraseSubtree(source_, *p);
        if (reportChildren) {  // reverse order puts every child before its parent
          std::sort(children.begin(), children.end(), [](const auto& x, const auto& y) { return x > y; });
          for (const auto& [c, childDir] : children) add(c, ChangeKind::Delete, childDir, false, "rm");
        }
        add(*p, ChangeKind::Delete, dir, false, dir ? "rm -r" : "rm");
        return;
      }
      case 8:
      case 9: {  // rename inside the root, possibly replacing a file or an empty directory
        auto from = pick([&](const auto& q) { return exists(q); });
        if (!from) return;
        bool dir = source_[*from].dir;
        auto to = pick([&](const auto& q) {
          if (q == *from || under(q, *from) || !hasParent(source_, q)) return false;
          if (!exists(q)) return true;
          if (dir) return isDir(q) && subtree(source_, q).empty();
          return isFile(q);
        });
        if (!to) return;
        auto moved = subtree(source_, *from);
        eraseSubtree(source_, *to);
        source_[*to] = source_[*from];
        for (const auto& c : moved) source_[*to + c.substr(from->size())] = source_[c];
        eraseSubtree(source_, *from);
        log_.push_back("mv " + *from + " " + *to + " @" + std::to_string(now_));
        co_.move(*from, *to, dir, now_, wall());
        moveTargets_.insert(*to);
        return;
      }
      case 10: {  // moved out of the root: one Delete, no children
        auto p = pick([&](const auto& q) { return exists(q); });
        if (!p) return;
        bool dir = source_[*p].dir;
        eraseSubtree(source_, *p);
        add(*p, ChangeKind::Delete, dir, false, "move-out");
        return;
      }
      case 11: {  // moved into the root: the watcher scans it and reports every path as born
        auto p = pick([&](const auto& q) { return !exists(q) && hasParent(source_, q); });
        if (!p) return;
        bool dir = chance(0.6);
        source_[*p] = Node{dir, ++version_};
        add(*p, ChangeKind::Update, dir, true, "move-in");
        if (!dir) return;
        for (const auto& q : universe_) {  // top-down: parents first
          if (under(q, *p) && hasParent(source_, q) && chance(0.5)) {
            source_[q] = Node{chance(0.5), ++version_};
            add(q, ChangeKind::Update, source_[q].dir, true, "scan");
          }
        }
        return;
      }
      case 12:
      case 13:
        now_ += uniform(0, 2500);
        return;
      case 14:
        if (!singleWindow_) take(false);
        return;
      case 15:
        if (!singleWindow_) fullSyncStep();
        return;
    }
  }

  // A full sync of the root walks it over time: each path is copied at some moment while it runs.
  void fullSyncStep() {
    if (!syncing_) {
      log_.push_back("full sync begins");
      co_.setPreciseDeletes(true);
      syncing_ = true;
      synced_.clear();
      return;
    }
    if (chance(0.15)) {
      endFullSync();
      return;
    }
    for (int i = uniform(1, 6); i > 0; --i) syncPath(universe_[uniform(0, static_cast<int>(universe_.size()) - 1)]);
  }

  void syncPath(const std::string& p) {
    if (!synced_.insert(p).second) return;
    log_.push_back("full sync copies " + p);
    for (Tree* target : {&target_, &rsyncTarget_}) {
      auto it = source_.find(p);
      if (it == source_.end()) {
        eraseSubtree(*target, p);
        continue;
      }
      if (!hasParent(*target, p)) continue;  // not copied: the parent's own pending change covers it
      if (!it->second.dir) eraseSubtree(*target, p);  // a file replaces whatever the target had there
      (*target)[p] = it->second;
    }
  }

  void endFullSync() {
    for (const auto& p : universe_) syncPath(p);  // universe_ is top-down
    log_.push_back("full sync ends");
    co_.setPreciseDeletes(false);
    syncing_ = false;
  }

  void take(bool all) {
    static constexpr std::size_t kMaxes[] = {1, 2, 3, SIZE_MAX};
    std::size_t max = kMaxes[uniform(0, 3)];
    auto changes = all ? co_.takeAll() : co_.takeReady(now_, max);
    log_.push_back((all ? "takeAll:" : "takeReady(max " + std::to_string(max) + "):") + [&] {
      std::string s;
      for (const auto& c : changes) s += " " + describe(c);
      return s;
    }());
    if (!all && changes.size() > max) fail("takeReady returned more than max");
    checkTake(changes);
    for (const auto& c : changes) {
      apply(target_, source_, c);
      applyRsync(rsyncTarget_, source_, c);
    }
    if (singleWindow_ && all) checkNoUnnecessaryTransfer(changes);
  }

  // Rules for every take: one change per path; a Delete only for a path the source lacks; nothing sent
  // under a path that the same take deletes.
  void checkTake(const std::vector<PendingChange>& changes) {
    std::set<std::string> seen;
    std::vector<std::string> deleted;
    for (const auto& c : changes) {
      if (!seen.insert(c.path).second) fail("path twice in one take: " + c.path);
      if (c.op == Op::Move && !seen.insert(c.oldPath).second) fail("path twice in one take: " + c.oldPath);
      if (c.op == Op::Delete && exists(c.path) && !(c.isDir && source_.at(c.path).dir))
        fail("Delete of a path the source has (and not a replaced directory): " + c.path);
      if (c.op == Op::Move && exists(c.oldPath)) fail("Move from a path the source has: " + c.oldPath);
      if (c.op == Op::Delete && !exists(c.path)) deleted.push_back(c.path);
      if (c.op == Op::Move) deleted.push_back(c.oldPath);
    }
    for (const auto& c : changes) {
      for (const auto& d : deleted) {
        if (under(c.path, d)) fail("change under a deleted path: " + describe(c) + " under " + d);
      }
    }
    // Nothing listed below a path that the same take sends as a file: its Upsert replaces the targets'
    // old directory, and rsync, given both, keeps or remakes the directory (exit 24) or fails with 23.
    for (const auto& c : changes) {
      if (c.op == Op::Delete || !isFile(c.path)) continue;
      for (const auto& o : changes) {
        if (under(o.path, c.path) || (o.op == Op::Move && under(o.oldPath, c.path)))
          fail("change below a path the same take sends as a file: " + describe(o) + " below " + describe(c));
      }
    }
  }

  // Single window: the targets held start_ until the end. A path that neither the targets had nor the
  // source has at the end, and that no rename produced, must not be mentioned at all (the create+delete
  // rule) except as the old name of a directory Move.
  void checkNoUnnecessaryTransfer(const std::vector<PendingChange>& changes) {
    std::set<std::string> mentioned;
    for (const auto& c : changes) {
      mentioned.insert(c.path);
      // A renamed directory is always a Move (it tells plugins to send the subtree), even when its
      // old name was new: that old name is the one mention allowed.
      if (c.op == Op::Move && !c.isDir) mentioned.insert(c.oldPath);
    }
    for (const auto& p : universe_) {
      if (start_.count(p) || exists(p)) continue;
      bool renamedInto = std::any_of(moveTargets_.begin(), moveTargets_.end(),
                                     [&](const std::string& t) { return underOrSelf(p, t); });
      if (!renamedInto && mentioned.count(p)) fail("unnecessary transfer of a short-lived path: " + p);
    }
  }

  void finish() {
    if (syncing_) endFullSync();
    take(true);
    if (co_.size() != 0) fail("takeAll left changes pending");
    if (target_ != source_) fail("target differs from source");
    if (rsyncTarget_ != source_) fail("rsync target differs from source");
  }

  void fail(const std::string& what) {
    if (failure_.empty()) failure_ = what;
  }

  std::mt19937_64 rng_;
  bool singleWindow_;
  Coalescer co_{testOptions()};
  std::vector<std::string> universe_;
  Tree source_, target_, rsyncTarget_, start_;
  std::set<std::string> moveTargets_;
  std::set<std::string> synced_;
  bool syncing_ = false;
  std::int64_t now_ = 0;
  int version_ = 0;
  std::vector<std::string> log_;
  std::string failure_;
};

// FSRELAY_COALESCER_RUNS=N runs N sequences instead (say 100000 after a change to the coalescer).
int randomRuns() {
  const char* runs = std::getenv("FSRELAY_COALESCER_RUNS");
  return runs && std::atoi(runs) > 0 ? std::atoi(runs) : 3000;
}

TEST(CoalescerRandom, target_equals_source_after_any_sequence) {
  const int kRuns = randomRuns();
  for (int run = 0; run < kRuns; ++run) {
    Simulation sim(0xC0A1E5CEull + run, /*singleWindow=*/false);
    std::string failure = sim.run(40 + run % 120);
    ASSERT_TRUE(failure.empty()) << "run " << run << ": " << failure;
  }
}

TEST(CoalescerRandom, single_window_sends_nothing_unnecessary) {
  const int kRuns = randomRuns();
  for (int run = 0; run < kRuns; ++run) {
    Simulation sim(0x5EEDull * 7919 + run, /*singleWindow=*/true);
    std::string failure = sim.run(20 + run % 80);
    ASSERT_TRUE(failure.empty()) << "run " << run << ": " << failure;
  }
}

}  // namespace
}  // namespace fsrelay
