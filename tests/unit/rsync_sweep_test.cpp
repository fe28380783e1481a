// Unit tests of the rsync plugin's temp-file sweep: which directories a failed run leaves to sweep, and the
// rsync command that sweeps them (its effect on a real tree is tested in failure_test.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rsync/rsync_args.hpp"
#include "rsync/rsync_sweep.hpp"

namespace fsrelay::rsync {
namespace {

using Words = std::vector<std::string>;

std::string nul(const Words& paths) {
  std::string out;
  for (const std::string& p : paths) out += p + '\0';
  return out;
}

TEST(RsyncSweep, nothing_pending_until_a_run_fails) {
  TempSweep sweep;
  EXPECT_FALSE(sweep.pending());
  sweep.noteFailedChanges(nul({}));
  EXPECT_FALSE(sweep.pending());
}

TEST(RsyncSweep, failed_changes_leave_their_parent_directories_once_each) {
  TempSweep sweep;
  sweep.noteFailedChanges(nul({"a/b/c.txt", "a/b/d.txt", "top.txt", "./#hash", "x/y"}));
  sweep.noteFailedChanges(nul({"a/b/e.txt", "[odd]/f"}));
  ASSERT_TRUE(sweep.pending());
  EXPECT_FALSE(sweep.wholeTree());
  EXPECT_EQ(sweep.dirCount(), 4u);
  EXPECT_EQ(sweep.payload(), nul({".", "[odd]/.", "a/b/.", "x/."}));
  // The root needs no include: it is the transfer's own directory. Wildcard bytes are escaped.
  EXPECT_EQ(sweep.rules(), (Words{"--include=/\\[odd]/", "--include=/a/b/", "--include=/x/"}));
  sweep.clear();
  EXPECT_FALSE(sweep.pending());
}

TEST(RsyncSweep, too_many_directories_or_a_failed_full_sync_sweep_the_whole_tree) {
  TempSweep sweep;
  std::string many;
  for (std::size_t i = 0; i <= kMaxSweepDirs; ++i) many += "d" + std::to_string(i) + "/f" + '\0';
  sweep.noteFailedChanges(many);
  EXPECT_TRUE(sweep.wholeTree());
  EXPECT_EQ(sweep.payload(), nul({"."}));
  EXPECT_EQ(sweep.rules(), (Words{"--filter=P */", "--include=*/"}));

  TempSweep afterFull;
  afterFull.noteFailedChanges(nul({"a/b"}));
  afterFull.noteFailedFullSync();
  afterFull.noteFailedChanges(nul({"c/d"}));
  EXPECT_TRUE(afterFull.wholeTree());
  EXPECT_EQ(afterFull.dirCount(), 1u);
}

TEST(RsyncSweep, argv_deletes_only_temp_names_in_the_listed_directories) {
  Remote r;
  r.params = {"-artuz", "--delete-after"};
  r.ip = "127.0.0.1";
  r.name = "www";
  r.user = "sync";
  r.passwordFile = "/etc/rsync.pass";
  r.timeoutS = 30;
  EXPECT_EQ(sweepArgv(r, "/srv/www", false, {"--include=/a/"}),
            (Words{"rsync", "-artz", "-q", "--no-r", "-d", "--delete", "--from0", "--files-from=-",
                   "--ignore-missing-args", "--sockopts=TCP_NODELAY", "--password-file=/etc/rsync.pass",
                   "--timeout=30", "--include=/a/", "--include=.*.??????", "--exclude=*", "/srv/www/",
                   "sync@127.0.0.1::www/"}));
  const Words whole = sweepArgv(r, "/srv/www", true, {"--filter=P */", "--include=*/"});
  EXPECT_EQ(whole[3], "-r");
  EXPECT_EQ(Words(whole.end() - 6, whole.end()),
            (Words{"--filter=P */", "--include=*/", "--include=.*.??????", "--exclude=*", "/srv/www/",
                   "sync@127.0.0.1::www/"}));
}

}  // namespace
}  // namespace fsrelay::rsync
