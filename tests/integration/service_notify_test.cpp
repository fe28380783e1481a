// Type=notify: READY=1 only after the -r sync, WATCHDOG=1 from the running loop, STATUS lines, RELOADING=1 and
// READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM, all read from a real datagram socket as systemd would.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/scenario.hpp"
#include "tests/support/watcher_env.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The service manager's end of NOTIFY_SOCKET: a datagram socket read by a thread, so the daemon's sd_notify
// never finds the queue full while the test is busy comparing trees.
class NotifyListener {
 public:
  explicit NotifyListener(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot bind " + path.string() + ": " + std::strerror(errno));
    thread_ = std::thread([this] { read(); });
  }
  ~NotifyListener() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    ::unlink(path_.c_str());
  }

  // Index of the first message at or after `from` that contains needle, or -1 after timeout.
  int waitFor(const std::string& needle, std::chrono::milliseconds timeout, std::size_t from = 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      {
        std::lock_guard lock(mutex_);
        for (std::size_t i = from; i < messages_.size(); ++i)
          if (messages_[i].find(needle) != std::string::npos) return static_cast<int>(i);
      }
      std::this_thread::sleep_for(5ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return -1;
  }
  std::size_t count(const std::string& needle, std::size_t from = 0) {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (std::size_t i = from; i < messages_.size(); ++i) n += messages_[i].find(needle) != std::string::npos;
    return n;
  }
  // The last message carrying a STATUS= line (a READY=1 message may carry one too), or "".
  std::string lastStatus() {
    std::lock_guard lock(mutex_);
    for (auto m = messages_.rbegin(); m != messages_.rend(); ++m)
      if (m->find("STATUS=") != std::string::npos) return *m;
    return "";
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return messages_.size();
  }
  std::string message(std::size_t i) {
    std::lock_guard lock(mutex_);
    return i < messages_.size() ? messages_[i] : "";
  }
  std::string all() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& m : messages_) out += "[" + m + "]\n";
    return out;
  }

 private:
  void read() {
    char buf[4096];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::lock_guard lock(mutex_);
      messages_.emplace_back(buf, static_cast<std::size_t>(n));
    }
  }

  fs::path path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> messages_;
  std::thread thread_;
};

TEST(ServiceNotify, ready_after_the_full_sync_watchdog_status_reload_and_stop) {
  Scenario s;
  for (int d = 0; d < 30; ++d) writeManyFiles(s.tmp.mkdir("src/d" + std::to_string(d)), 100);  // 3,000 files
  NotifyListener notify(s.tmp / "notify.sock");
  s.config.write(s.configPath);
  Process relay({fsrelayBinary().string(), "-r", "-o", s.configPath.string()}, s.tmp / "fsrelay.log",
                SpawnOptions{s.cwd, {"NOTIFY_SOCKET=" + (s.tmp / "notify.sock").string(), "WATCHDOG_USEC=400000"}});

  const int ready = notify.waitFor("READY=1", 120s);
  ASSERT_GE(ready, 0) << notify.all() << relay.outputTail(20);
  // READY=1 means the -r sync is over: the targets hold the whole tree at the moment it is read.
  EXPECT_TRUE(s.equalNow()) << "READY=1 came before the initial full sync had finished";
  EXPECT_NE(relay.output().find("ready:"), std::string::npos);
  // The fanotify copy of the suite: one mark, no directories to count.
  const auto watching = [](int dirs) {
    return suiteUsesFanotify() ? std::string("watching 1 root with fanotify") : "watching " + std::to_string(dirs) + " dirs";
  };
  EXPECT_NE(notify.message(ready).find("STATUS=ready: " + watching(31) + "; queue 0; 2/2 targets in sync"), std::string::npos)
      << notify.message(ready);
  EXPECT_EQ(notify.count("READY=1"), 1u);

  // Half of WATCHDOG_USEC: a ping every 200 ms while the loop turns, even with nothing to do.
  const std::size_t before = notify.size();
  std::this_thread::sleep_for(1500ms);
  EXPECT_GE(notify.count("WATCHDOG=1", before), 5u) << notify.all();
  EXPECT_LE(notify.count("WATCHDOG=1", before), 10u) << "pings far more often than asked";

  // STATUS follows the queue: a burst shows up, at most one line a second.
  writeManyFiles(s.tmp.mkdir("src/burst"), 500, "b");
  ASSERT_TRUE(s.converged(60s));
  // Without "STATUS=": under fanotify the last word may still be READY's "STATUS=ready: ..." line.
  const std::string settled = watching(32) + "; queue 0; 2/2 targets in sync";
  if (suiteUsesFanotify()) {
    // No directory count to change, and an unchanged line is not sent again: a burst delivered between two
    // samples leaves STATUS as it was. What must hold is that the last word is the settled state.
    for (int i = 0; i < 100 && notify.lastStatus().find(settled) == std::string::npos; ++i)
      std::this_thread::sleep_for(50ms);
    EXPECT_NE(notify.lastStatus().find(settled), std::string::npos) << notify.all();
  } else {
    EXPECT_GE(notify.waitFor("STATUS=" + settled, 5s, before), 0) << notify.all();
  }

  // An accepted SIGHUP: RELOADING=1 (with the watchdog stretched over the drain), then READY=1 again with the
  // watchdog set back.
  s.config.exclude("(.*)\\.tmp");
  s.config.write(s.configPath);
  const std::size_t beforeReload = notify.size();
  relay.signal(SIGHUP);
  const int reloading = notify.waitFor("RELOADING=1", 30s, beforeReload);
  ASSERT_GE(reloading, 0) << notify.all();
  EXPECT_NE(notify.message(reloading).find("MONOTONIC_USEC="), std::string::npos);
  EXPECT_NE(notify.message(reloading).find("WATCHDOG_USEC=630000000"), std::string::npos) << notify.message(reloading);
  const int readyAgain = notify.waitFor("READY=1", 60s, reloading);
  ASSERT_GT(readyAgain, reloading) << notify.all();
  EXPECT_NE(notify.message(readyAgain).find("WATCHDOG_USEC=400000"), std::string::npos) << notify.message(readyAgain);
  EXPECT_NE(relay.output().find("reloaded "), std::string::npos);
  const std::size_t afterReload = notify.size();
  std::this_thread::sleep_for(700ms);
  EXPECT_GE(notify.count("WATCHDOG=1", afterReload), 2u) << "the new engine's loop pings too";

  // A refused SIGHUP (broken file) is no reload: no RELOADING=1.
  writeFile(s.configPath, "<head version=\"2.5\"><broken");
  const std::size_t beforeBad = notify.size();
  const std::size_t logAt = relay.outputSize();
  relay.signal(SIGHUP);
  ASSERT_TRUE(relay.waitForLine("running configuration stays in force", 30s, logAt));
  EXPECT_EQ(notify.count("RELOADING=1", beforeBad), 0u);

  const std::size_t beforeStop = notify.size();
  relay.signal(SIGTERM);
  auto st = relay.waitExit(60s);
  ASSERT_TRUE(st && st->success()) << (st ? st->describe() : "still running");
  EXPECT_GE(notify.waitFor("STOPPING=1", 1s, beforeStop), 0) << notify.all();
}

}  // namespace
}  // namespace fsrelay::test
