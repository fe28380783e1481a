// A child process started with posix_spawn (argv, no shell), its output in a log file, stopped by its PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fsrelay::test {

// A wait(2) status, readable.
struct ExitStatus {
  int raw = 0;
  bool exited() const;
  int code() const;    // the exit code, or -1 when killed by a signal
  bool signaled() const;
  int signal() const;  // the signal that killed it, or 0
  bool success() const { return exited() && code() == 0; }
  std::string describe() const;  // "exit 0", "killed by signal 9 (Killed)"
};

struct SpawnOptions {
  std::filesystem::path cwd;      // empty: the test's own working directory
  std::vector<std::string> env;   // "NAME=VALUE" entries added to (or replacing in) the inherited environment
};

class Process {
 public:
  // Starts argv[0] (searched in PATH when it has no "/"), stdin from /dev/null, stdout and stderr appended
  // to logFile. Throws std::system_error when it cannot be started.
  Process(std::vector<std::string> argv, std::filesystem::path logFile, SpawnOptions options = {});
  // Stops it like stop() when it still runs: only this PID is signalled, and it is always reaped. Then fails the
  // running test when the log holds a sanitizer report: a sanitized daemon dies of one, which a test that only
  // looks at the targets may not notice.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }
  const std::filesystem::path& logFile() const { return log_; }

  std::string output() const;                 // the log so far
  std::size_t outputSize() const;             // its length, to wait for lines written after a point
  std::string outputTail(std::size_t lines) const;
  // Polls the log until it contains needle at or after byte `from`. False on timeout, or when the
  // process exits without having written it (so a crash does not cost the whole timeout).
  bool waitForLine(std::string_view needle, std::chrono::milliseconds timeout, std::size_t from = 0);

  bool running();                             // reaps it when it has exited
  void signal(int sig);                       // no-op once it is reaped
  // The status once it exits, or nullopt when it still runs after timeout.
  std::optional<ExitStatus> waitExit(std::chrono::milliseconds timeout);
  // SIGTERM (and SIGCONT, so a stopped process can act on it), then SIGKILL after grace; reaps it.
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  bool reap(bool block);

  std::vector<std::string> argv_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

// The first sanitizer report (AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer, ThreadSanitizer) in a
// program's output, from its first line to its SUMMARY line; empty when there is none. A sanitizer build
// (scripts/sanitize.sh) prints them on stderr, so in the log of a Process.
std::string sanitizerReport(std::string_view output);

// Runs a program to completion (argv, no shell) and returns its status and combined output;
// kills it by its PID after timeout.
struct RunResult {
  ExitStatus status;
  std::string output;
  bool timedOut = false;
};
RunResult runProgram(std::vector<std::string> argv, const std::filesystem::path& logFile,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30), SpawnOptions options = {});

}  // namespace fsrelay::test
