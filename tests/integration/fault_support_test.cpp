// The fault tests' own tools: the throttling proxy forwards, throttles, refuses and comes back; the tmpfs
// fills up, grows and always goes away.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "tests/support/fault_figures.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/fault_tmpfs.hpp"
#include "tests/support/temp_dir.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

sockaddr_in loopback(const char* ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

// Echoes every connection back to its sender, one at a time, until destroyed.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback("127.0.0.1", 0);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::system_error(errno, std::generic_category(), "echo server");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (!quit_) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        char buf[4096];
        for (ssize_t n; (n = ::recv(c, buf, sizeof buf, 0)) > 0;)
          ::send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~EchoServer() {
    quit_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> quit_{false};
  std::thread thread_;
};

// Connects, sends `bytes` bytes, half-closes, reads everything back; -1 when the connection failed.
long roundTrip(int port, std::size_t bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback("127.0.0.1", port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  std::string out(bytes, 'x');
  long back = 0;
  std::thread reader([&] {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) back += n;
  });
  for (std::size_t off = 0; off < out.size();) {
    ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  reader.join();
  ::close(fd);
  return back;
}

TEST(FaultSupport, proxy_forwards_throttles_refuses_and_comes_back) {
  EchoServer echo;
  ThrottlingProxy proxy({.upstreamPort = echo.port()});
  EXPECT_EQ(roundTrip(proxy.port(), 100000), 100000);

  // 64 KiB each way at 128 KiB/s: at least half a second, even though loopback takes microseconds.
  proxy.setThrottle(0ms, 128 * 1024);
  auto t0 = FaultClock::now();
  EXPECT_EQ(roundTrip(proxy.port(), 64 * 1024), 64 * 1024);
  EXPECT_GE(secondsSince(t0), 0.4);
  proxy.setThrottle(0ms, 0);

  proxy.stop();
  EXPECT_EQ(roundTrip(proxy.port(), 10), -1) << "a stopped proxy must refuse connections";
  proxy.start();
  EXPECT_EQ(roundTrip(proxy.port(), 1000), 1000);
  EXPECT_GE(proxy.accepted(), 3u);
}

TEST(FaultSupport, tmpfs_fills_up_grows_and_is_always_unmounted) {
  if (::geteuid() != 0) GTEST_SKIP() << "mount(2) needs root";
  TempDir tmp("fsrelay-tmpfs-test");
  fs::path dir = tmp.mkdir("disk");
  {
    std::optional<TmpfsMount> disk;
    try {
      disk.emplace(dir, 1u << 20);
    } catch (const std::system_error& e) {
      GTEST_SKIP() << "mount(2) is not allowed here (" << e.what() << ")";
    }
    ASSERT_TRUE(TmpfsMount::isMountPoint(dir));
    std::string mib(1u << 20, 'x');
    std::ofstream(dir / "too-big", std::ios::binary) << mib << mib;
    EXPECT_LT(fs::file_size(dir / "too-big"), 2u << 20) << "a 1 MiB tmpfs took 2 MiB";
    disk->resize(4u << 20);
    std::ofstream(dir / "fits", std::ios::binary) << mib << mib;
    EXPECT_EQ(fs::file_size(dir / "fits"), 2u << 20);
    // A process still inside it does not keep it mounted: the destructor detaches it lazily.
    int busy = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    disk.reset();
    if (busy >= 0) ::close(busy);
  }
  EXPECT_FALSE(TmpfsMount::isMountPoint(dir));
}

}  // namespace
}  // namespace fsrelay::test
