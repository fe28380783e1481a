// Control socket server: stale-socket takeover, the accept loop and one bounded exchange per connection.
#include "core/control/control_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/control/unix_socket.hpp"
#include "core/log/log.hpp"

namespace fsrelay {

bool ControlServer::start(const std::string& stateDir, std::string* error) {
  stop();
  const std::string path = controlSocketPath(stateDir);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = path + " exists and is not a socket; not touching it";
      return false;
    }
    std::string why;
    int err = 0;
    int fd = connectUnix(path, &why, &err);
    if (fd >= 0) {
      ::close(fd);
      *error = "another fsrelay answers on " + path + " (two daemons with one state folder?)";
      return false;
    }
    if (err != ECONNREFUSED && err != ENOENT) {
      *error = why;
      return false;
    }
    ::unlink(path.c_str());  // left by a daemon that did not stop cleanly (kill -9, a crash)
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    *error = "the socket path " + path + " is longer than a Unix socket address allows (" +
             std::to_string(sizeof addr.sun_path - 1) + " bytes); set a shorter <fsrelay><state dir>";
    return false;
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  // The state folder is 0700 already; 0600 on the socket keeps it private where the folder is not.
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::chmod(path.c_str(), 0600) != 0 ||
      ::listen(fd, 16) != 0 || ::lstat(path.c_str(), &st) != 0) {
    *error = "cannot listen on " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  stopFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stopFd_ < 0) {
    *error = std::string("eventfd: ") + std::strerror(errno);
    ::close(fd);
    ::unlink(path.c_str());
    return false;
  }
  listenFd_ = fd;
  path_ = path;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  thread_ = std::thread([this] { serve(); });
  return true;
}

void ControlServer::stop() {
  if (thread_.joinable()) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stopFd_, &one, sizeof one);
    thread_.join();
  }
  if (listenFd_ >= 0) {
    // Only our own socket: a daemon started after us on the same folder may have replaced it.
    struct stat st;
    if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) ::unlink(path_.c_str());
    ::close(listenFd_);
    listenFd_ = -1;
  }
  if (stopFd_ >= 0) {
    ::close(stopFd_);
    stopFd_ = -1;
  }
}

void ControlServer::setSource(Source source) {
  std::lock_guard lock(mutex_);
  source_ = std::move(source);
}

void ControlServer::serve() {
  for (;;) {
    pollfd fds[2] = {{listenFd_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("control socket ", path_, ": poll: ", std::strerror(errno), "; no longer answering");
      return;
    }
    if (fds[1].revents & POLLIN) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) continue;  // the client gave up already, or out of descriptors for a moment
    handle(fd);
    ::close(fd);
  }
}

void ControlServer::handle(int fd) {
  const Deadline deadline = std::chrono::steady_clock::now() + kClientDeadline;
  std::string line;
  if (!readUntil(fd, &line, true, 256, deadline)) return;  // silent, too long or too slow: dropped
  line = line.substr(0, line.find('\n') + 1);
  std::string answer;
  if (auto format = parseControlRequest(line)) {
    std::lock_guard lock(mutex_);
    if (source_) answer = source_(*format);
    else if (*format == StatusFormat::Json) answer = "{\"reloading\":true}";
    else answer = "fsrelay is switching to a new configuration (reload)\nstate: reloading\n";
  } else {
    answer = "error: unknown request; send \"status\" or \"status json\", one line\n";
  }
  if (answer.empty() || answer.back() != '\n') answer += '\n';  // the JSON document ends with "}", not a line end
  writeAll(fd, answer, deadline);
}

}  // namespace fsrelay
