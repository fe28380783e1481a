// Unix stream sockets with poll-based deadlines: a slow or stuck peer costs a bounded wait, never a hang.
#include "core/control/unix_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fsrelay {
namespace {

// Waits for events on fd until deadline; false on timeout or poll error.
bool waitFor(int fd, short events, Deadline deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

}  // namespace

int connectUnix(const std::string& path, std::string* error, int* err) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    *err = ENAMETOOLONG;
    *error = "the socket path " + path + " is longer than a Unix socket address allows (" +
             std::to_string(sizeof addr.sun_path - 1) + " bytes)";
    return -1;
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *err = errno;
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  // A Unix stream connect completes at once or fails at once (EAGAIN: the listener's backlog is full).
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *err = errno;
    *error = "connect " + path + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

bool writeAll(int fd, std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waitFor(fd, POLLOUT, deadline)) continue;
    return false;
  }
  return true;
}

bool readUntil(int fd, std::string* out, bool lineOnly, std::size_t maxBytes, Deadline deadline) {
  char buf[4096];
  for (;;) {
    if (lineOnly && out->find('\n') != std::string::npos) return true;
    if (out->size() >= maxBytes) return false;
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, maxBytes - out->size()));
    if (n > 0) {
      out->append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return true;  // EOF also ends a request line sent without its newline
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && waitFor(fd, POLLIN, deadline)) continue;
    return false;
  }
}

}  // namespace fsrelay
