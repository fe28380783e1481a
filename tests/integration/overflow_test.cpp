// An inotify or fanotify queue overflow (fsrelay stopped while more events arrive than the queue holds) ends in a rescan.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The queue of the backend under test: FSRELAY_WATCHER picks it (tests/CMakeLists.txt).
std::string backend() {
  const char* b = std::getenv("FSRELAY_WATCHER");
  return b && std::string(b) == "fanotify" ? "fanotify" : "inotify";
}

long maxQueuedEvents() {
  std::ifstream in("/proc/sys/fs/" + backend() + "/max_queued_events");
  long n = -1;
  in >> n;
  return n;
}

TEST(Overflow, queue_overflow_while_stopped_is_rescanned_and_converges) {
  long limit = maxQueuedEvents();
  if (limit <= 0) GTEST_SKIP() << "cannot read /proc/sys/fs/" << backend() << "/max_queued_events";
  // Never raise or lower the sysctl here: it belongs to the machine, not to the test.
  if (limit > 200000)
    GTEST_SKIP() << "fs." << backend() << ".max_queued_events is " << limit
                 << "; overflowing it would take too many files. Nothing was changed.";

  Scenario s;
  fs::create_directories(s.src / "existing");
  writeManyFiles(s.src / "existing", 100);
  s.startRelay();
  ASSERT_TRUE(s.ready());

  s.relay().signal(SIGSTOP);
  // Each file gives at least one event (IN_CLOSE_WRITE) in the root, which is watched: more files than the
  // queue holds overflow it for certain. Deletes and a rename add events the rescan must also honour.
  std::size_t count = static_cast<std::size_t>(limit) + 2000;
  std::cout << "[ info ] max_queued_events " << limit << ", writing " << count << " files while fsrelay is stopped\n";
  writeManyFiles(s.src, count, "o");
  fs::remove_all(s.src / "existing");
  fs::rename(s.src / "o0.txt", s.src / "renamed-while-stopped.txt");
  s.relay().signal(SIGCONT);

  ASSERT_TRUE(s.converged(180s));
  std::string log = s.relay().output();
  EXPECT_TRUE(log.find("overflow") != std::string::npos || log.find("Overflow") != std::string::npos)
      << "fsrelay should log the overflow it recovered from";
  EXPECT_TRUE(s.relay().running());
}

}  // namespace
}  // namespace fsrelay::test
