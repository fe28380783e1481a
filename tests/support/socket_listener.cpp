// A TCP receiver on 127.0.0.1 for the socket plugin's tests: records what arrives, can go down and come back.
#include "tests/support/socket_listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace fsrelay::test {

namespace {

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

}  // namespace

SocketListener::SocketListener(int port) : port_(port) {
  if (::pipe2(wakePipe_, O_CLOEXEC | O_NONBLOCK) != 0) fail("pipe2");
  open();
  thread_ = std::thread([this] { run(); });
}

SocketListener::~SocketListener() {
  stop();
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake();
  thread_.join();
  if (listenFd_ >= 0) ::close(listenFd_);
  for (Client& c : clients_) ::close(c.fd);
  ::close(wakePipe_[0]);
  ::close(wakePipe_[1]);
}

void SocketListener::open() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) fail("socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    fail("bind/listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  listenFd_ = fd;
}

void SocketListener::wake() {
  const char c = 1;
  [[maybe_unused]] ssize_t n = ::write(wakePipe_[1], &c, 1);
}

void SocketListener::closeClient(Client& c, bool reset) {
  if (reset) {
    linger l{1, 0};  // close() then sends RST instead of FIN
    ::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  ::close(c.fd);
  if (!c.buffer.empty()) ++partial_;
  messages_.push_back(std::move(c.message));
  cv_.notify_all();
}

void SocketListener::dropConnections(bool reset) { command(false, true, reset, false); }

void SocketListener::stop(bool reset) { command(true, true, reset, false); }

void SocketListener::start() { command(false, false, false, true); }

void SocketListener::command(bool closeListener, bool dropClients, bool reset, bool reopen) {
  std::unique_lock lock(mutex_);
  if (quit_) return;
  pending_ = Command{closeListener, dropClients, reset, reopen};
  const std::uint64_t mine = ++requested_;
  wake();
  cv_.wait(lock, [&] { return done_ >= mine; });
  if (!error_.empty()) {
    const std::string why = std::move(error_);
    error_.clear();
    throw std::runtime_error("SocketListener: " + why);
  }
}

void SocketListener::runCommandLocked() {
  if (done_ == requested_) return;
  if (pending_.closeListener && listenFd_ >= 0) {
    ::close(listenFd_);
    listenFd_ = -1;
  }
  if (pending_.dropClients) {
    for (Client& c : clients_) closeClient(c, pending_.reset);
    clients_.clear();
  }
  if (pending_.reopen && listenFd_ < 0) {
    try {
      open();
    } catch (const std::exception& e) {
      error_ = e.what();  // rethrown by command() on the test's thread
    }
  }
  done_ = requested_;
  cv_.notify_all();
}

void SocketListener::run() {
  std::vector<pollfd> fds;
  char buf[65536];
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (quit_) return;
      fds.clear();
      fds.push_back({wakePipe_[0], POLLIN, 0});
      fds.push_back({listenFd_, POLLIN, 0});  // -1 while stopped: poll ignores it
      for (const Client& c : clients_) fds.push_back({c.fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) return;
    std::lock_guard lock(mutex_);
    if (fds[0].revents != 0) {
      while (::read(wakePipe_[0], buf, sizeof buf) > 0) {
      }
      runCommandLocked();
      continue;  // the sets may have changed: poll again
    }
    if (fds[1].revents != 0 && listenFd_ == fds[1].fd) {
      for (;;) {
        const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;
        clients_.push_back(Client{fd, {}, {}});
        ++accepted_;
      }
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto it = clients_.begin();
      while (it != clients_.end() && it->fd != fds[i].fd) ++it;
      if (it == clients_.end()) continue;
      bool ended = false;
      for (;;) {
        const ssize_t n = ::recv(it->fd, buf, sizeof buf, 0);
        if (n > 0) {
          it->message.append(buf, static_cast<std::size_t>(n));
          it->buffer.append(buf, static_cast<std::size_t>(n));
          for (std::size_t nl; (nl = it->buffer.find('\n')) != std::string::npos;) {
            lines_.push_back(it->buffer.substr(0, nl));
            it->buffer.erase(0, nl + 1);
          }
          cv_.notify_all();
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        ended = !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        break;
      }
      if (ended) {
        closeClient(*it, false);
        clients_.erase(it);
      }
    }
  }
}

std::vector<std::string> SocketListener::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::size_t SocketListener::partialLines() const {
  std::lock_guard lock(mutex_);
  return partial_;
}

std::vector<std::string> SocketListener::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::size_t SocketListener::accepted() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

bool SocketListener::waitLines(const std::function<bool(const std::vector<std::string>&)>& pred,
                               std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return pred(lines_); });
}

bool SocketListener::waitMessages(const std::function<bool(const std::vector<std::string>&)>& pred,
                                  std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return pred(messages_); });
}

}  // namespace fsrelay::test
