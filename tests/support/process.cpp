// Process: posix_spawn with a log file, polling waits, and stopping by PID.
#include "tests/support/process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace fsrelay::test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

bool ExitStatus::exited() const { return WIFEXITED(raw); }
int ExitStatus::code() const { return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1; }
bool ExitStatus::signaled() const { return WIFSIGNALED(raw); }
int ExitStatus::signal() const { return WIFSIGNALED(raw) ? WTERMSIG(raw) : 0; }

std::string ExitStatus::describe() const {
  if (exited()) return "exit " + std::to_string(code());
  if (signaled()) return "killed by signal " + std::to_string(signal()) + " (" + strsignal(signal()) + ")";
  return "wait status " + std::to_string(raw);
}

namespace {

std::vector<std::string> mergedEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  auto nameOf = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    bool replaced = false;
    for (const std::string& x : extra) replaced = replaced || nameOf(x) == nameOf(kv);
    if (!replaced) env.push_back(std::move(kv));
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> cArray(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Process::Process(std::vector<std::string> argv, fs::path logFile, SpawnOptions options)
    : argv_(std::move(argv)), log_(std::move(logFile)) {
  if (argv_.empty()) throw std::invalid_argument("Process: empty argv");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // O_APPEND: a restarted daemon keeps adding to the same log, and the two streams never overwrite.
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Whatever the test runner blocked or ignored must not leak into the program under test.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args = argv_;
  std::vector<std::string> env = mergedEnv(options.env);
  std::vector<char*> cargs = cArray(args);
  std::vector<char*> cenv = cArray(env);
  int rc = posix_spawnp(&pid_, argv_[0].c_str(), &actions, &attr, cargs.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    throw std::system_error(rc, std::generic_category(), "posix_spawn " + argv_[0]);
  }
}

Process::~Process() {
  if (pid_ > 0 && !status_) stop();
  if (pid_ > 0) {
    std::string report = sanitizerReport(output());
    if (!report.empty())
      ADD_FAILURE() << argv_[0] << " (pid " << pid_ << ", " << status_->describe()
                    << ") printed a sanitizer report in " << log_ << ":\n" << report;
  }
}

std::string Process::output() const {
  std::ifstream in(log_, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::size_t Process::outputSize() const {
  std::error_code ec;
  auto n = fs::file_size(log_, ec);
  return ec ? 0 : static_cast<std::size_t>(n);
}

std::string Process::outputTail(std::size_t lines) const {
  std::string all = output();
  std::size_t pos = all.size();
  if (pos > 0 && all[pos - 1] == '\n') --pos;
  for (std::size_t n = 0; n < lines && pos > 0; ++n) {
    std::size_t nl = all.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    pos = nl;
  }
  return all.substr(pos == 0 ? 0 : pos + 1);
}

bool Process::waitForLine(std::string_view needle, std::chrono::milliseconds timeout, std::size_t from) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    // Check exit before reading, then read: a line written just before exiting is still seen.
    bool alive = running();
    std::string out = output();
    if (out.size() > from && out.find(needle, from) != std::string::npos) return true;
    if (!alive || Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool Process::reap(bool block) {
  if (status_) return true;
  if (pid_ <= 0) return false;
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = ExitStatus{st};
    return true;
  }
  return false;
}

bool Process::running() { return !reap(false); }

void Process::signal(int sig) {
  // Once reaped the PID may belong to someone else: never signal it again.
  if (pid_ > 0 && !reap(false)) ::kill(pid_, sig);
}

std::optional<ExitStatus> Process::waitExit(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!reap(false)) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

ExitStatus Process::stop(std::chrono::milliseconds grace) {
  signal(SIGTERM);
  signal(SIGCONT);
  if (auto st = waitExit(grace)) return *st;
  signal(SIGKILL);
  reap(true);
  return *status_;
}

std::string sanitizerReport(std::string_view output) {
  static constexpr std::string_view kMarkers[] = {
      "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "AddressSanitizer:DEADLYSIGNAL", "WARNING: ThreadSanitizer",
      "ERROR: ThreadSanitizer",  "FATAL: ThreadSanitizer", ": runtime error: ",           "SUMMARY: AddressSanitizer",
      "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: ThreadSanitizer"};
  std::size_t first = std::string_view::npos;
  for (std::string_view m : kMarkers) first = std::min(first, output.find(m));
  if (first == std::string_view::npos) return {};
  std::size_t begin = output.rfind('\n', first);
  begin = begin == std::string_view::npos ? 0 : begin + 1;
  std::size_t end = output.find("SUMMARY: ", first);
  end = end == std::string_view::npos ? output.size() : output.find('\n', end);
  end = std::min({end, output.size(), begin + 16384});
  return std::string(output.substr(begin, end - begin));
}

RunResult runProgram(std::vector<std::string> argv, const fs::path& logFile, std::chrono::milliseconds timeout,
                     SpawnOptions options) {
  std::error_code ec;
  fs::remove(logFile, ec);
  Process p(std::move(argv), logFile, std::move(options));
  RunResult r;
  if (auto st = p.waitExit(timeout)) {
    r.status = *st;
  } else {
    r.timedOut = true;
    r.status = p.stop(std::chrono::seconds(2));
  }
  r.output = p.output();
  return r;
}

}  // namespace fsrelay::test
