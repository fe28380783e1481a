// posix_spawn with pipes and a poll loop: stdin written without blocking, output kept as a bounded tail.
#include "core/util/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace fsrelay {
namespace {

void appendTail(std::string& out, const char* data, size_t n, size_t limit) {
  out.append(data, n);
  if (out.size() > limit * 2) out.erase(0, out.size() - limit);
}

}  // namespace

SpawnOutcome spawnProcess(const std::vector<std::string>& argv, const SpawnOptions& options) {
  SpawnOutcome result;
  int inPipe[2], outPipe[2];
  if (::pipe2(inPipe, O_CLOEXEC) != 0) {
    result.spawnFailed = true;
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  if (::pipe2(outPipe, O_CLOEXEC) != 0) {
    ::close(inPipe[0]);
    ::close(inPipe[1]);
    result.spawnFailed = true;
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, inPipe[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, outPipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, outPipe[1], STDERR_FILENO);
  if (options.cwd) posix_spawn_file_actions_addchdir_np(&actions, options.cwd);

  // The daemon blocks its termination signals in every thread (they are read from a signalfd);
  // a child must start with them unblocked and at their defaults, or it could not be stopped.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  // Its own process group, so a timeout ends rsync's helpers too (ssh, a forked receiver), not only rsync.
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (!options.env.empty()) {
    auto nameOf = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
    for (char** e = environ; *e; ++e) {
      bool replaced = false;
      for (const auto& x : options.env) replaced = replaced || nameOf(x) == nameOf(*e);
      if (!replaced) envp.push_back(*e);
    }
    for (const auto& x : options.env) envp.push_back(const_cast<char*>(x.c_str()));
    envp.push_back(nullptr);
  }
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(inPipe[0]);
  ::close(outPipe[1]);
  if (rc != 0) {
    ::close(inPipe[1]);
    ::close(outPipe[0]);
    result.spawnFailed = true;
    result.output = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return result;
  }

  int inFd = inPipe[1];
  int outFd = outPipe[0];
  ::fcntl(inFd, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (options.stdinData.empty()) {
    ::close(inFd);
    inFd = -1;
  }
  auto start = std::chrono::steady_clock::now();
  bool termSent = false;
  std::chrono::steady_clock::time_point termAt;
  char buf[8192];
  while (outFd >= 0) {
    pollfd fds[2];
    int n = 0;
    fds[n++] = {outFd, POLLIN, 0};
    if (inFd >= 0) fds[n++] = {inFd, POLLOUT, 0};
    ::poll(fds, n, 100);
    if (inFd >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      while (written < options.stdinData.size()) {
        ssize_t w = ::write(inFd, options.stdinData.data() + written, options.stdinData.size() - written);
        if (w > 0) {
          written += static_cast<size_t>(w);
        } else {
          break;
        }
      }
      if (written >= options.stdinData.size() || (fds[1].revents & (POLLERR | POLLHUP))) {
        ::close(inFd);
        inFd = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = ::read(outFd, buf, sizeof buf);
      if (r > 0) {
        appendTail(result.output, buf, static_cast<size_t>(r), options.outputLimit);
        if (options.onOutput) options.onOutput(std::string_view(buf, static_cast<size_t>(r)));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(outFd);
        outFd = -1;
      }
    }
    auto now = std::chrono::steady_clock::now();
    bool expired = options.timeout.count() > 0 && now - start > options.timeout;
    bool aborted = options.abort && options.abort->load();
    if ((expired || aborted) && !termSent) {
      result.timedOut = expired;
      ::kill(-pid, SIGTERM);
      termSent = true;
      termAt = now;
    } else if (termSent && now - termAt > std::chrono::seconds(2)) {
      ::kill(-pid, SIGKILL);
      // Something outside the group may still hold the output pipe: stop waiting for its end.
      if (now - termAt > std::chrono::seconds(4)) {
        ::close(outFd);
        outFd = -1;
      }
    }
  }
  if (inFd >= 0) ::close(inFd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exitCode = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.termSignal = WTERMSIG(status);
  }
  if (result.output.size() > options.outputLimit) result.output.erase(0, result.output.size() - options.outputLimit);
  return result;
}

}  // namespace fsrelay
