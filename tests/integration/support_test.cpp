// The test support library against real peers (rsync --daemon, plain rsync clients), without fsrelay.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "tests/support/config_writer.hpp"
#include "tests/support/process.hpp"
#include "tests/support/rsync_daemon.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tree.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(Support, temp_dir_is_removed_even_without_permissions_inside) {
  fs::path kept;
  {
    TempDir t("fsrelay-support");
    kept = t.path();
    fs::path locked = t.mkdir("a/locked");
    writeFile(locked / "f", "x");
    fs::permissions(locked, fs::perms::none);
    ASSERT_TRUE(fs::is_directory(kept));
  }
  EXPECT_FALSE(fs::exists(kept));
}

TEST(Support, private_files_are_mode_0600) {
  TempDir t;
  writePrivateFile(t / "secret", "pw\n");
  struct stat st {};
  ASSERT_EQ(::stat((t / "secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(readFile(t / "secret"), "pw\n");
}

TEST(Support, process_reports_output_and_exit_status) {
  TempDir t;
  RunResult ok = runProgram({"rsync", "--version"}, t / "v.log");
  EXPECT_TRUE(ok.status.success()) << ok.status.describe();
  EXPECT_NE(ok.output.find("rsync"), std::string::npos);
  RunResult bad = runProgram({"rsync", "--no-such-option-at-all"}, t / "bad.log");
  EXPECT_TRUE(bad.status.exited());
  EXPECT_NE(bad.status.code(), 0);
  EXPECT_NE(bad.output.find("no-such-option-at-all"), std::string::npos);

  Process sleeper({"sleep", "30"}, t / "sleep.log");
  EXPECT_TRUE(sleeper.running());
  EXPECT_FALSE(sleeper.waitExit(100ms).has_value());
  EXPECT_FALSE(sleeper.waitForLine("never", 100ms));
  sleeper.signal(SIGTERM);
  auto st = sleeper.waitExit(5s);
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->signaled());
  EXPECT_EQ(st->signal(), SIGTERM);
}

TEST(Support, process_wait_for_line_returns_early_when_the_program_exits) {
  TempDir t;
  Process p({"rsync", "--version"}, t / "v.log");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(p.waitForLine("protocol version", 10s));
  EXPECT_FALSE(p.waitForLine("this text is not printed", 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(Support, spawn_failure_throws) {
  TempDir t;
  EXPECT_THROW(Process({(t / "no-such-program").string()}, t / "x.log"), std::system_error);
}

TEST(Support, wait_equal_reports_missing_extra_and_different_entries) {
  TempDir t;
  fs::path a = t.mkdir("a"), b = t.mkdir("b");
  writeFile(a / "same", "1");
  writeFile(b / "same", "1");
  writeFile(bytesPath(a, "new\nline\xff"), "x");
  writeFile(b / "extra", "x");
  writeFile(a / "content", "aaaa");
  writeFile(b / "content", "bbbb");
  fs::create_symlink("target-a", a / "link");
  fs::create_symlink("target-b", b / "link");
  auto t0 = std::chrono::steady_clock::now();
  std::string diff = waitEqual(a, {b}, 300ms);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  EXPECT_NE(diff.find("missing 'new\\nline\\xff'"), std::string::npos) << diff;
  EXPECT_NE(diff.find("extra 'extra'"), std::string::npos) << diff;
  EXPECT_NE(diff.find("differs 'content'"), std::string::npos) << diff;
  EXPECT_NE(diff.find("differs 'link'"), std::string::npos) << diff;
  EXPECT_EQ(diff.find("'same'"), std::string::npos) << diff;

  ExcludeFn noExtra = [](std::string_view rel, EntryType) { return rel == "new\nline\xff"; };
  fs::remove(b / "extra");
  writeFile(b / "content", "aaaa");
  fs::remove(b / "link");
  fs::create_symlink("target-a", b / "link");
  EXPECT_EQ(waitEqual(a, {b}, 1s, noExtra), "");
  Snapshot s = snapshot(a);
  EXPECT_EQ(s.at("link").type, EntryType::Symlink);
  EXPECT_EQ(s.at("link").detail, "target-a");
  EXPECT_EQ(s.at("same").size, 1u);
}

TEST(Support, config_writer_escapes_values_and_finds_lines) {
  ConfigWriter w;
  w.localpath("/data/a&b\"c", {"t1", "t2"}).auth("fsrelay", "/p").port(8730).exclude("(.*)\\.gz").retry(3, 10, 20);
  std::string x = w.text();
  EXPECT_NE(x.find("<head version=\"2.5\">"), std::string::npos);
  EXPECT_NE(x.find("watch=\"/data/a&amp;b&quot;c\""), std::string::npos) << x;
  EXPECT_NE(x.find("<remote ip=\"127.0.0.1\" name=\"t2\"/>"), std::string::npos);
  EXPECT_NE(x.find("<userDefinedPort start=\"true\" port=\"8730\"/>"), std::string::npos);
  EXPECT_NE(x.find("<filter start=\"true\">"), std::string::npos);
  EXPECT_NE(x.find("<retry limit=\"3\" initialMs=\"10\" maxMs=\"20\"/>"), std::string::npos);
  EXPECT_NE(x.find("<createFile start=\"false\"/>"), std::string::npos);
  int line = w.lineOf("<userDefinedPort");
  ASSERT_GT(line, 1);
  std::size_t pos = 0;
  for (int i = 1; i < line; ++i) pos = x.find('\n', pos) + 1;
  EXPECT_EQ(x.compare(pos, std::string("\t    <userDefinedPort").size(), "\t    <userDefinedPort"), 0);
}

TEST(Support, rsync_daemon_accepts_authenticated_pushes_of_hostile_names) {
  TempDir t;
  RsyncDaemon d(t / "rsyncd");
  ASSERT_GT(d.port(), 0);
  fs::path src = t.mkdir("src");
  writeFile(bytesPath(src, "-e x\n\xff$(boom)"), "hostile");
  fs::create_directories(src / "a/b");
  writeFile(src / "a/b/c.txt", "nested");
  fs::create_symlink("../nowhere", src / "a/link");
  for (const std::string& m : d.modules()) {
    RunResult r = d.push(src, m);
    ASSERT_TRUE(r.status.success()) << r.status.describe() << "\n" << r.output;
  }
  EXPECT_EQ(compareTrees(src, d.moduleDirs()), "");
  EXPECT_GE(d.connections(), 2);
  EXPECT_EQ(d.connections("t1"), 1);
  EXPECT_EQ(d.connections("t2"), 1);
  struct stat st {};
  ASSERT_EQ(::stat(d.passwordFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Support, rsync_daemon_module_with_wrong_password_rejects_pushes) {
  TempDir t;
  RsyncDaemon d(t / "rsyncd", {.wrongPasswordModules = {"t2"}});
  fs::path src = t.mkdir("src");
  writeFile(src / "f", "x");
  EXPECT_TRUE(d.push(src, "t1").status.success());
  RunResult r = d.push(src, "t2");
  EXPECT_FALSE(r.status.success());
  EXPECT_NE(r.output.find("auth failed"), std::string::npos) << r.output;
  EXPECT_EQ(d.authFailures("t2"), 1);
}

TEST(Support, rsync_daemon_stops_and_restarts_on_the_same_port) {
  TempDir t;
  RsyncDaemon d(t / "rsyncd", {.modules = {"only"}, .maxConnections = 3, .wrongPasswordModules = {}});
  int port = d.port();
  fs::path src = t.mkdir("src");
  writeFile(src / "f", "x");
  d.stop();
  EXPECT_FALSE(d.running());
  EXPECT_FALSE(d.push(src, "only").status.success());
  d.start();
  EXPECT_EQ(d.port(), port);
  RunResult r = d.push(src, "only");
  EXPECT_TRUE(r.status.success()) << r.output;
  EXPECT_EQ(compareTrees(src, {d.moduleDir("only")}), "");
}

}  // namespace
}  // namespace fsrelay::test
