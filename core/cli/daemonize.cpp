// Double fork and setsid, with a pipe so the parent reports whether the child got going.
#include "core/cli/daemonize.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace fsrelay {

bool checkPidFile(const std::string& pidFile, std::string* error) {
  std::ifstream in(pidFile);
  long pid = 0;
  if (in >> pid && pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) {
    *error = "pid file " + pidFile + " names process " + std::to_string(pid) + ", which is running";
    return false;
  }
  if (in.is_open()) ::unlink(pidFile.c_str());
  return true;
}

bool daemonize(const std::string& pidFile, const std::string& logFile, int* startedFd, std::string* error) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid > 0) {
    // sersync's -d returned at once, so a daemon that died during start-up looked like a success. Wait
    // until the watches are in place (not for the -r sync, which may take hours on a large tree).
    ::close(ready[1]);
    char ok = 0;
    ssize_t n;
    do {
      n = ::read(ready[0], &ok, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1 && ok == 1) _exit(0);
    const std::string msg = "fsrelay: the background process stopped before it was watching; see " + logFile + "\n";
    [[maybe_unused]] auto w = ::write(STDERR_FILENO, msg.data(), msg.size());
    _exit(1);
  }
  ::close(ready[0]);
  ::setsid();
  pid = ::fork();
  if (pid < 0) _exit(1);
  if (pid > 0) _exit(0);
  ::umask(027);
  int fd = ::open(pidFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  char ok = 0;
  if (fd >= 0) {
    std::string text = std::to_string(::getpid()) + "\n";
    ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 1 : 0;
    ::close(fd);
  }
  if (!ok) {
    *error = "cannot write pid file " + pidFile + ": " + std::strerror(errno);
    [[maybe_unused]] auto w = ::write(ready[1], &ok, 1);
    return false;
  }
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    if (null > 2) ::close(null);
  }
  *startedFd = ready[1];  // kept open (close-on-exec) until the engine is watching, or the process ends
  return true;
}

void reportStarted(int fd) {
  if (fd < 0) return;
  char ok = 1;
  [[maybe_unused]] auto w = ::write(fd, &ok, 1);
  ::close(fd);
}

void removePidFile(const std::string& pidFile) { ::unlink(pidFile.c_str()); }

}  // namespace fsrelay
