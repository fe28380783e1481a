// Unit tests for the control socket: protocol, server with a fake source, stale sockets, slow clients, exit codes.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "core/cli/status_client.hpp"
#include "core/control/control_protocol.hpp"
#include "core/control/control_server.hpp"
#include "core/control/unix_socket.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fsrelay;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

ControlServer::Source fakeSource() {
  return [](StatusFormat f) { return f == StatusFormat::Json ? std::string("{\"targets\":[]}") : "state: in sync\n"; };
}

// A bound but not listening socket file at path: what a daemon killed with -9 leaves behind.
void leaveDeadSocket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  ::close(fd);
}

}  // namespace

TEST(ControlProtocol, accepts_the_two_requests_and_nothing_else) {
  EXPECT_EQ(parseControlRequest("status\n"), StatusFormat::Text);
  EXPECT_EQ(parseControlRequest("status json\n"), StatusFormat::Json);
  EXPECT_EQ(parseControlRequest("status json\r\n"), StatusFormat::Json);
  EXPECT_EQ(parseControlRequest("status"), StatusFormat::Text);
  EXPECT_FALSE(parseControlRequest("status xml\n"));
  EXPECT_FALSE(parseControlRequest("\n"));
  EXPECT_EQ(controlSocketPath("/var/lib/fsrelay/x"), "/var/lib/fsrelay/x/control.sock");
  EXPECT_EQ(controlSocketPath("/var/lib/fsrelay/x/"), "/var/lib/fsrelay/x/control.sock");
}

TEST(StatusExitCode, zero_only_for_a_state_line_saying_in_sync) {
  EXPECT_EQ(statusExitCode("fsrelay 0.1.0, pid 1, up 3 s\nstate: in sync (2 of 2 targets in sync)\nroot /a\n"), 0);
  EXPECT_EQ(statusExitCode("fsrelay 0.1.0\nstate: not in sync (1 of 2 targets in sync)\n"), 1);
  EXPECT_EQ(statusExitCode("fsrelay 0.1.0\nstate: starting (...); 2 of 2 targets in sync\n"), 1);
  EXPECT_EQ(statusExitCode("fsrelay is stopping\nstate: stopping\n"), 1);
  EXPECT_EQ(statusExitCode("  rsync a -> b: state: in sync\n"), 1) << "only a line that starts with it counts";
  EXPECT_EQ(statusExitCode(""), 1);
}

TEST(ControlServer, answers_text_and_json_on_a_private_socket_and_removes_it_at_stop) {
  test::TempDir dir("fsrelay-control");
  ControlServer server;
  std::string err;
  ASSERT_TRUE(server.start(dir.str(), &err)) << err;
  server.setSource(fakeSource());
  struct stat st;
  ASSERT_EQ(::lstat(server.path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  StatusReply text = askDaemon(server.path(), StatusFormat::Text);
  ASSERT_TRUE(text.answered) << text.error;
  EXPECT_EQ(text.body, "state: in sync\n");
  StatusReply json = askDaemon(server.path(), StatusFormat::Json);
  EXPECT_EQ(json.body, "{\"targets\":[]}\n");

  server.setSource(nullptr);  // between two engines (a reload)
  EXPECT_EQ(statusExitCode(askDaemon(server.path(), StatusFormat::Text).body), 1);
  EXPECT_EQ(askDaemon(server.path(), StatusFormat::Json).body, "{\"reloading\":true}\n");

  const std::string path = server.path();
  server.stop();
  EXPECT_FALSE(fs::exists(fs::symlink_status(path)));
  StatusReply none = askDaemon(path, StatusFormat::Text);
  EXPECT_FALSE(none.answered);
  EXPECT_NE(none.error.find(path), std::string::npos) << none.error;
}

TEST(ControlServer, replaces_a_dead_daemons_socket_but_not_a_live_one) {
  test::TempDir dir("fsrelay-control");
  const std::string path = controlSocketPath(dir.str());
  leaveDeadSocket(path);
  ControlServer first;
  std::string err;
  ASSERT_TRUE(first.start(dir.str(), &err)) << err;
  first.setSource(fakeSource());
  EXPECT_TRUE(askDaemon(path, StatusFormat::Text).answered);

  ControlServer second;
  EXPECT_FALSE(second.start(dir.str(), &err));
  EXPECT_NE(err.find("another fsrelay answers"), std::string::npos) << err;
  EXPECT_TRUE(askDaemon(path, StatusFormat::Text).answered) << "the live daemon's socket must survive";

  // A regular file in its place is not ours to delete.
  first.stop();
  test::writePrivateFile(path, "not a socket");
  EXPECT_FALSE(second.start(dir.str(), &err));
  EXPECT_TRUE(fs::is_regular_file(path));
}

TEST(ControlServer, a_client_that_sends_nothing_is_dropped_after_the_deadline) {
  test::TempDir dir("fsrelay-control");
  ControlServer server;
  std::string err;
  ASSERT_TRUE(server.start(dir.str(), &err)) << err;
  server.setSource(fakeSource());
  int err2 = 0;
  int silent = connectUnix(server.path(), &err, &err2);
  ASSERT_GE(silent, 0) << err;
  // While the silent one holds the server, a real request waits at most one deadline, then is answered.
  auto t0 = std::chrono::steady_clock::now();
  StatusReply reply = askDaemon(server.path(), StatusFormat::Text, 10s);
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(reply.body, "state: in sync\n");
  EXPECT_LT(waited, ControlServer::kClientDeadline + 1s);
  std::string rest;
  EXPECT_TRUE(readUntil(silent, &rest, false, 1024, std::chrono::steady_clock::now() + 5s));
  EXPECT_EQ(rest, "") << "the silent client's connection is closed without an answer";
  ::close(silent);
}

TEST(ControlServer, an_unknown_request_gets_an_error_line) {
  test::TempDir dir("fsrelay-control");
  ControlServer server;
  std::string err;
  ASSERT_TRUE(server.start(dir.str(), &err)) << err;
  int e = 0;
  int fd = connectUnix(server.path(), &err, &e);
  ASSERT_GE(fd, 0) << err;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  ASSERT_TRUE(writeAll(fd, "reboot\n", deadline));
  std::string answer;
  EXPECT_TRUE(readUntil(fd, &answer, false, 1024, deadline));
  EXPECT_TRUE(answer.starts_with("error: unknown request")) << answer;
  ::close(fd);
}
