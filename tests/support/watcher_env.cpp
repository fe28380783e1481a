// With FSRELAY_WATCHER=fanotify (the "fanotify." copy of the integration tests), every test is skipped,
// naming the reason, when this machine cannot give fsrelay fanotify: the daemon would refuse to start.
#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "tests/support/watcher_env.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace fsrelay::test {

std::string fanotifyUnavailable(const std::string& dir) {
  int fd = ::fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_REPORT_DFID_NAME, O_RDONLY);
  if (fd < 0) return std::string("fanotify_init: ") + std::strerror(errno) + " (needs Linux 5.9+ and CAP_SYS_ADMIN)";
  std::string why;
  if (::fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_CREATE, AT_FDCWD, dir.c_str()) != 0)
    why = "no filesystem mark on " + dir + ": " + std::strerror(errno);
  ::close(fd);
  return why;
}

bool suiteUsesFanotify() {
  const char* backend = std::getenv("FSRELAY_WATCHER");
  if (backend && *backend) return std::string(backend) == "fanotify";
  // Unset (the test binary run by hand): the daemons choose "auto", which takes fanotify wherever it works.
  const char* tmp = std::getenv("TMPDIR");
  static const bool available = fanotifyUnavailable(tmp && *tmp ? tmp : "/tmp").empty();
  return available;
}

namespace {

class WatcherBackendEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!suiteUsesFanotify()) return;
    const char* tmp = std::getenv("TMPDIR");
    std::string why = fanotifyUnavailable(tmp && *tmp ? tmp : "/tmp");
    if (!why.empty()) GTEST_SKIP() << "FSRELAY_WATCHER=fanotify, but fanotify is not available here: " << why;
  }
};

[[maybe_unused]] auto* const kRegistered = ::testing::AddGlobalTestEnvironment(new WatcherBackendEnvironment);

}  // namespace
}  // namespace fsrelay::test
