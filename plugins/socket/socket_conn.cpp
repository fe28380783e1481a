// One outgoing TCP connection with timeouts (plain POSIX sockets): connect, write all, detect a dead peer.
#include "socket_conn.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace fsrelay::socketplugin {
namespace {

using Clock = std::chrono::steady_clock;

// strerror with a lower-case first letter, to read well after "connect: ".
std::string errnoText(int err) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

int remainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// Waits for events on fd until deadline, restarting after signals. Returns poll's result (0: timeout).
int pollUntil(int fd, short events, Clock::time_point deadline, short* revents) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, remainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    *revents = p.revents;
    return n;
  }
}

}  // namespace

bool Connection::connect(const std::string& host, int port, int timeoutMs, int userTimeoutMs, std::string* error) {
  close();
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    *error = "resolve: " + std::string(rc == EAI_SYSTEM ? errnoText(errno) : ::gai_strerror(rc));
    return false;
  }
  *error = "connect: no address";
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      *error = "socket: " + errnoText(errno);
      continue;
    }
    // Records are small and latency matters more than packet count.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (userTimeoutMs > 0) {
      const unsigned int ut = static_cast<unsigned int>(userTimeoutMs);
      ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof ut);
    }
    int err = 0;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS || err == EINTR) {
        short revents = 0;
        const int n = pollUntil(fd, POLLOUT, deadline, &revents);
        if (n == 0) {
          err = ETIMEDOUT;
        } else {
          socklen_t len = sizeof err;
          if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
      }
    }
    if (err == 0) {
      fd_ = fd;
      ::freeaddrinfo(list);
      return true;
    }
    ::close(fd);
    *error = err == ETIMEDOUT ? "connect: timed out after " + std::to_string(timeoutMs) + " ms"
                              : "connect: " + errnoText(err);
    if (remainingMs(deadline) == 0) break;
  }
  ::freeaddrinfo(list);
  return false;
}

bool Connection::writeAll(std::string_view data, int timeoutMs, std::string* error) {
  std::size_t done = 0;
  while (done < data.size()) {
    // MSG_NOSIGNAL: a peer that went away is an error to report, not a SIGPIPE for the whole daemon.
    const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The timeout counts from the last progress: a slow but moving receiver is not cut off.
      short revents = 0;
      if (pollUntil(fd_, POLLOUT, Clock::now() + std::chrono::milliseconds(timeoutMs), &revents) == 0) {
        *error = "write: no progress for " + std::to_string(timeoutMs) + " ms";
        close();
        return false;
      }
      continue;
    }
    *error = "write: " + errnoText(n < 0 ? errno : EPIPE);
    close();
    return false;
  }
  return true;
}

Connection::Peer Connection::check() {
  if (fd_ < 0) return Peer::Closed;
  char scratch[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT);
    if (n > 0) continue;  // the receiver has nothing to tell us; drain so its writes never block it
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Peer::Alive;
    // EOF alone: the peer closed with nothing of ours unread (else its kernel sends a reset, not a FIN).
    // A reset that came after the FIN (our data reached a closed socket) is only visible in SO_ERROR,
    // because recv reports the EOF first.
    Peer peer = Peer::Broken;
    if (n == 0) {
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) peer = Peer::Closed;
    }
    close();
    return peer;
  }
}

void Connection::finish() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
  close();
}

void Connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace fsrelay::socketplugin
