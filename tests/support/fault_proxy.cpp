// ThrottlingProxy: accept loop, one pump thread per direction with delay and rate limit, reset on stop.
#include "tests/support/fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace fsrelay::test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr int kPollMs = 50;  // how quickly a pump notices stop() or the destructor

sockaddr_in loopbackAddr(const std::string& address, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1)
    throw std::invalid_argument("ThrottlingProxy: not an IPv4 address: " + address);
  return a;
}

void setNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// close() that sends RST instead of FIN: the peer sees the connection reset, as after a crash.
void closeAbruptly(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

}  // namespace

struct ThrottlingProxy::Session {
  int client = -1;
  int upstream = -1;
  std::atomic<bool> kill{false};    // stop() or a broken side: both pumps end, the fds are reset
  std::atomic<int> finished{0};     // pumps that have returned; the second one closes the fds
  std::thread up, down;
};

ThrottlingProxy::ThrottlingProxy(ProxyOptions options) : opt_(std::move(options)) {
  if (opt_.upstreamPort <= 0) throw std::invalid_argument("ThrottlingProxy: upstreamPort is required");
  delayMs_ = opt_.delay.count();
  bytesPerSecond_ = opt_.bytesPerSecond;
  if (::pipe2(wakePipe_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  listen();
  acceptThread_ = std::thread([this] { acceptLoop(); });
}

ThrottlingProxy::~ThrottlingProxy() {
  stop();
  quit_ = true;
  [[maybe_unused]] auto r = ::write(wakePipe_[1], "q", 1);
  if (acceptThread_.joinable()) acceptThread_.join();
  reapFinished(true);
  ::close(wakePipe_[0]);
  ::close(wakePipe_[1]);
}

void ThrottlingProxy::listen() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopbackAddr(opt_.listenAddress, port_ != 0 ? port_ : opt_.listenPort);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(),
                            "ThrottlingProxy: listen on " + opt_.listenAddress + ":" + std::to_string(port_));
  }
  setNonBlocking(fd);
  std::lock_guard lock(mutex_);
  port_ = ntohs(a.sin_port);
  listenFd_ = fd;
  listening_ = true;
}

void ThrottlingProxy::start() {
  if (listening_) return;
  listen();
  [[maybe_unused]] auto r = ::write(wakePipe_[1], "s", 1);
}

void ThrottlingProxy::stop() {
  std::lock_guard lock(mutex_);
  if (listenFd_ >= 0) {
    // shutdown() first: the accept loop may be inside poll() on this socket, which keeps the socket alive
    // (and accepting handshakes into its backlog) until poll returns; shutdown takes it out of LISTEN at
    // once, so new connections are refused from now on. The loop re-reads listenFd_ under this mutex.
    listening_ = false;
    ::shutdown(listenFd_, SHUT_RDWR);
    ::close(listenFd_);
    listenFd_ = -1;
    [[maybe_unused]] auto r = ::write(wakePipe_[1], "x", 1);
  }
  for (auto& s : sessions_) s->kill = true;
}

void ThrottlingProxy::setThrottle(std::chrono::milliseconds delay, std::size_t bytesPerSecond) {
  delayMs_ = delay.count();
  bytesPerSecond_ = bytesPerSecond;
}

void ThrottlingProxy::reapFinished(bool all) {
  std::vector<std::unique_ptr<Session>> done;
  {
    std::lock_guard lock(mutex_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (all) (*it)->kill = true;
      if (all || (*it)->finished.load() == 2) {
        done.push_back(std::move(*it));
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : done) {
    if (s->up.joinable()) s->up.join();
    if (s->down.joinable()) s->down.join();
  }
}

void ThrottlingProxy::acceptLoop() {
  while (!quit_) {
    int fd;
    {
      std::lock_guard lock(mutex_);
      fd = listenFd_;
    }
    pollfd p[2] = {{wakePipe_[0], POLLIN, 0}, {fd, POLLIN, 0}};
    ::poll(p, fd >= 0 ? 2 : 1, kPollMs);
    char drain[64];
    while (::read(wakePipe_[0], drain, sizeof drain) > 0) {
    }
    reapFinished(false);
    if (quit_ || fd < 0 || !(p[1].revents & POLLIN)) continue;
    int client;
    {
      std::lock_guard lock(mutex_);
      if (listenFd_ != fd) continue;  // stop() closed it meanwhile
      client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    }
    if (client < 0) continue;
    ++accepted_;
    int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopbackAddr(opt_.upstreamAddress, opt_.upstreamPort);
    if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      if (upstream >= 0) ::close(upstream);
      closeAbruptly(client);  // upstream down: the client sees its connection reset
      continue;
    }
    int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setNonBlocking(client);
    setNonBlocking(upstream);
    auto s = std::make_unique<Session>();
    s->client = client;
    s->upstream = upstream;
    Session& ref = *s;
    {
      std::lock_guard lock(mutex_);
      sessions_.push_back(std::move(s));
    }
    ref.up = std::thread([this, &ref] { pump(ref, true); });
    ref.down = std::thread([this, &ref] { pump(ref, false); });
  }
  std::lock_guard lock(mutex_);
  for (auto& s : sessions_) s->kill = true;
}

void ThrottlingProxy::pump(Session& s, bool up) {
  const int src = up ? s.client : s.upstream;
  const int dst = up ? s.upstream : s.client;
  std::atomic<std::uint64_t>& counter = up ? bytesUp_ : bytesDown_;
  std::vector<char> buf(std::max<std::size_t>(opt_.chunkBytes, 1));
  auto nextSend = Clock::now();
  // Sleeps until t, waking every kPollMs to notice a kill; false when killed.
  auto sleepUntil = [&](Clock::time_point t) {
    while (Clock::now() < t) {
      if (s.kill || quit_) return false;
      std::this_thread::sleep_for(std::min<Clock::duration>(t - Clock::now(), std::chrono::milliseconds(kPollMs)));
    }
    return !(s.kill || quit_);
  };
  bool eof = false;
  while (!s.kill && !quit_) {
    pollfd p{src, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    std::size_t rate = bytesPerSecond_.load();
    // With a rate cap, read small pieces so the rate is smooth rather than one burst per second.
    std::size_t want = rate > 0 ? std::clamp<std::size_t>(rate / 20, 512, buf.size()) : buf.size();
    ssize_t n = ::recv(src, buf.data(), want, 0);
    if (n == 0) {
      eof = true;
      break;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      s.kill = true;  // reset or error: the other direction ends too
      break;
    }
    if (!sleepUntil(Clock::now() + std::chrono::milliseconds(delayMs_.load()))) break;
    if (rate > 0) {
      if (!sleepUntil(nextSend)) break;
      nextSend = std::max(nextSend, Clock::now() - 100ms) +
                 std::chrono::microseconds(static_cast<std::int64_t>(n) * 1000000 / static_cast<std::int64_t>(rate));
    }
    for (ssize_t off = 0; off < n && !s.kill && !quit_;) {
      ssize_t w = ::send(dst, buf.data() + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
      if (w > 0) {
        off += w;
        counter += static_cast<std::uint64_t>(w);
      } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        pollfd q{dst, POLLOUT, 0};
        ::poll(&q, 1, kPollMs);
      } else {
        s.kill = true;
      }
    }
  }
  if (eof && !s.kill) ::shutdown(dst, SHUT_WR);  // pass the half-close on, as TCP would
  if (++s.finished == 2) {
    if (s.kill) {
      closeAbruptly(s.client);
      closeAbruptly(s.upstream);
    } else {
      ::close(s.client);
      ::close(s.upstream);
    }
  }
}

}  // namespace fsrelay::test
