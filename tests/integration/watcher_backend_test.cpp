// Which watcher a root gets: <watcher backend>, FSRELAY_WATCHER, and auto's fallback to inotify with its reason.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "tests/support/check_setup.hpp"
#include "tests/support/fault_tmpfs.hpp"
#include "tests/support/scenario.hpp"
#include "tests/support/watcher_env.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;

// --check with FSRELAY_WATCHER as given ("" = unset, whatever the copy of the suite this runs in).
RunResult check(CheckSetup& c, const std::string& envValue) {
  c.config.write(c.configPath);
  return runProgram({fsrelayBinary().string(), "--check", "-o", c.configPath.string()}, c.tmp / "out.log",
                    std::chrono::seconds(30), SpawnOptions{{}, {"FSRELAY_WATCHER=" + envValue}});
}

TEST(WatcherBackend, auto_uses_fanotify_where_the_kernel_and_privileges_allow_else_inotify) {
  CheckSetup c;
  RunResult r = check(c, "");
  ASSERT_TRUE(r.status.success()) << r.status.describe() << "\n" << r.output;
  const bool fanotify = fanotifyUnavailable(c.src.string()).empty();
  EXPECT_NE(r.output.find(fanotify ? "(watcher: fanotify)" : "(watcher: inotify)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  watcher: backend=auto\n"), std::string::npos) << r.output;
}

TEST(WatcherBackend, configured_inotify_is_used_and_the_environment_overrides_it) {
  CheckSetup c;
  c.config.watcher("inotify");
  RunResult r = check(c, "");
  ASSERT_TRUE(r.status.success()) << r.output;
  EXPECT_NE(r.output.find("(watcher: inotify)"), std::string::npos) << r.output;
  if (!fanotifyUnavailable(c.src.string()).empty()) GTEST_SKIP() << "no fanotify here for the override half";
  r = check(c, "fanotify");
  ASSERT_TRUE(r.status.success()) << r.output;
  EXPECT_NE(r.output.find("(watcher: fanotify)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("FSRELAY_WATCHER=fanotify overrides it"), std::string::npos) << r.output;
}

TEST(WatcherBackend, unknown_backend_is_an_error_with_file_line_and_exit_2) {
  CheckSetup c;
  c.config.watcher("kqueue");
  RunResult r = check(c, "");
  EXPECT_TRUE(r.status.exited() && r.status.code() == 2) << r.status.describe() << "\n" << r.output;
  std::string where = c.configPath.string() + ":" + std::to_string(c.config.lineOf("<watcher")) + ": error:";
  EXPECT_NE(r.output.find(where), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("kqueue"), std::string::npos) << r.output;

  CheckSetup e;
  r = check(e, "dnotify");
  EXPECT_TRUE(r.status.exited() && r.status.code() == 2) << r.status.describe() << "\n" << r.output;
  EXPECT_NE(r.output.find("FSRELAY_WATCHER=dnotify is not a watcher backend"), std::string::npos) << r.output;
}

// A file system mounted inside the root is out of reach of a filesystem mark: forced fanotify refuses to
// start, naming the mount; auto falls back to inotify and says why.
TEST(WatcherBackend, forced_fanotify_that_cannot_work_exits_2_and_auto_falls_back_naming_why) {
  CheckSetup c;
  if (std::string why = fanotifyUnavailable(c.src.string()); !why.empty()) GTEST_SKIP() << why;
  fs::create_directories(c.src / "mnt");
  std::optional<TmpfsMount> mount;
  try {
    mount.emplace(c.src / "mnt", 1 << 20);
  } catch (const std::system_error& e) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << e.what();
  }
  c.config.watcher("fanotify");
  RunResult r = check(c, "");
  EXPECT_TRUE(r.status.exited() && r.status.code() == 2) << r.status.describe() << "\n" << r.output;
  std::string where = c.configPath.string() + ":" + std::to_string(c.config.lineOf("<watcher")) + ": error:";
  EXPECT_NE(r.output.find(where), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/mnt is another file system mounted inside"), std::string::npos) << r.output;

  c.config.watcher("auto");
  r = check(c, "");
  ASSERT_TRUE(r.status.success()) << r.output;
  EXPECT_NE(r.output.find("(watcher: inotify)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("using inotify, as fanotify cannot watch it"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fsrelay::test
