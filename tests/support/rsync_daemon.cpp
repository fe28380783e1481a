// RsyncDaemon: config and secrets, start on a probed port with retries, readiness check, log counters.
#include "tests/support/rsync_daemon.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "tests/support/temp_dir.hpp"

namespace fsrelay::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

int probeFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string randomHex(std::size_t chars) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < chars; ++i) out.push_back(kDigits[rng() % 16]);
  return out;
}

RsyncDaemon::RsyncDaemon(fs::path workDir, RsyncDaemonOptions options)
    : dir_(std::move(workDir)), options_(std::move(options)), token_(randomHex(12)) {
  if (options_.modules.empty()) throw std::invalid_argument("RsyncDaemon: no modules");
  fs::create_directories(dir_);
  config_ = dir_ / "rsyncd.conf";
  log_ = dir_ / "rsyncd.log";
  secrets_ = dir_ / "rsyncd.secrets";
  wrongSecrets_ = dir_ / "rsyncd-wrong.secrets";
  clientPasswordFile_ = dir_ / "rsync.password";
  std::string password = options_.password.empty() ? randomHex(24) : options_.password;
  writePrivateFile(secrets_, user_ + ":" + password + "\n");
  writePrivateFile(wrongSecrets_, user_ + ":" + randomHex(24) + "\n");
  writePrivateFile(clientPasswordFile_, password + "\n");
  for (const std::string& m : options_.modules) fs::create_directories(moduleDir(m));
  writeConfig();
  start();
}

RsyncDaemon::~RsyncDaemon() { stop(); }

fs::path RsyncDaemon::moduleDir(std::string_view module) const { return dir_ / "modules" / std::string(module); }

std::vector<fs::path> RsyncDaemon::moduleDirs() const {
  std::vector<fs::path> out;
  for (const std::string& m : options_.modules) out.push_back(moduleDir(m));
  return out;
}

std::string RsyncDaemon::url(std::string_view module) const {
  return "rsync://" + user_ + "@" + options_.address + ":" + std::to_string(port_) + "/" + std::string(module) + "/";
}

void RsyncDaemon::writeConfig() const {
  std::string c;
  c += "# written by fsrelay's integration tests; removed with the test's temp dir\n";
  c += "lock file = " + (dir_ / "rsyncd.lock").string() + "\n";
  c += "reverse lookup = no\n";
  // As root rsync would switch to "nobody", who cannot write the test's directories.
  if (::geteuid() == 0) c += "uid = " + std::to_string(::getuid()) + "\ngid = " + std::to_string(::getgid()) + "\n";
  for (const std::string& m : options_.modules) {
    bool wrong = std::find(options_.wrongPasswordModules.begin(), options_.wrongPasswordModules.end(), m) !=
                 options_.wrongPasswordModules.end();
    c += "\n[" + m + "]\n";
    c += "    path = " + moduleDir(m).string() + "\n";
    c += "    comment = fsrelay-test " + token_ + "\n";
    c += "    read only = false\n";
    c += "    use chroot = no\n";
    c += "    munge symlinks = no\n";
    c += "    max connections = " + std::to_string(options_.maxConnections) + "\n";
    c += "    auth users = " + user_ + "\n";
    c += "    secrets file = " + (wrong ? wrongSecrets_ : secrets_).string() + "\n";
    c += "    hosts allow = 127.0.0.1\n";
  }
  std::ofstream(config_, std::ios::binary | std::ios::trunc) << c;
}

void RsyncDaemon::start() {
  if (process_) return;
  std::string problems;
  // A restart keeps its port (the config under test names it); a first start probes one, and probes
  // again when another process took it between the probe and rsync's bind.
  auto deadline = std::chrono::steady_clock::now() + 15s;
  for (int attempt = 0; std::chrono::steady_clock::now() < deadline; ++attempt) {
    int port = port_ != 0 ? port_ : options_.port != 0 ? options_.port : probeFreePort();
    std::string why;
    if (tryStart(port, &why)) {
      port_ = port;
      return;
    }
    problems += "\n  port " + std::to_string(port) + ": " + why;
    if (port_ != 0 || options_.port != 0) std::this_thread::sleep_for(200ms);
    if (attempt >= 20) break;
  }
  throw std::runtime_error("could not start rsync --daemon:" + problems);
}

bool RsyncDaemon::tryStart(int port, std::string* why) {
  std::size_t logFrom = 0;
  std::error_code ec;
  if (fs::exists(log_, ec)) logFrom = static_cast<std::size_t>(fs::file_size(log_, ec));
  auto p = std::make_unique<Process>(
      std::vector<std::string>{"rsync", "--daemon", "--no-detach", "--config=" + config_.string(),
                               "--address=" + options_.address, "--port=" + std::to_string(port),
                               "--log-file=" + log_.string()},
      dir_ / "rsyncd.out");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline && p->running()) {
    std::ifstream in(log_, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(logFrom));
    std::string fresh((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (fresh.find("listening on port " + std::to_string(port)) != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  if (p->running() && answers(port)) {
    process_ = std::move(p);
    return true;
  }
  ExitStatus st = p->stop();
  std::string tail = p->outputTail(2) + logTail(2);
  *why = st.describe() + (tail.empty() ? "" : ": " + tail);
  return false;
}

bool RsyncDaemon::answers(int port) const {
  RunResult r = runProgram({"rsync", "rsync://" + options_.address + ":" + std::to_string(port) + "/"},
                           dir_ / "probe.out", 10s);
  return r.status.success() && r.output.find("fsrelay-test " + token_) != std::string::npos;
}

void RsyncDaemon::stop() {
  if (!process_) return;
  process_->stop(5s);
  process_.reset();
}

namespace {
// PIDs whose parent is pid, from /proc/PID/stat (the field after the parenthesised command name).
std::vector<pid_t> childrenOf(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) continue;
    // ") S PPID ..."
    std::size_t ppidAt = stat.find(' ', close + 2);
    if (ppidAt == std::string::npos) continue;
    if (std::atol(stat.c_str() + ppidAt + 1) == pid) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}
}  // namespace

void RsyncDaemon::crash() {
  if (!process_) return;
  // Stop the listener first so that it forks no new session while the old ones are killed.
  const pid_t daemon = process_->pid();
  process_->signal(SIGSTOP);
  // A session forks again (its receiver and generator): stop the whole family, then kill it.
  std::vector<pid_t> family;
  for (std::vector<pid_t> level = childrenOf(daemon); !level.empty();) {
    std::vector<pid_t> next;
    for (pid_t p : level) {
      ::kill(p, SIGSTOP);
      family.push_back(p);
      for (pid_t c : childrenOf(p)) next.push_back(c);
    }
    level = std::move(next);
  }
  for (pid_t p : family) ::kill(p, SIGKILL);
  process_->signal(SIGKILL);
  process_->waitExit(10s);
  process_.reset();
}

std::string RsyncDaemon::logText() const {
  std::ifstream in(log_, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string RsyncDaemon::logTail(std::size_t lines) const {
  std::string all = logText();
  std::size_t pos = all.size();
  if (pos > 0 && all[pos - 1] == '\n') --pos;
  for (std::size_t n = 0; n < lines && pos > 0; ++n) {
    std::size_t nl = all.rfind('\n', pos - 1);
    pos = nl == std::string::npos ? 0 : nl;
  }
  return all.substr(pos == 0 ? 0 : pos + 1);
}

namespace {
int countLines(const std::string& text, std::string_view needle) {
  int n = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size()))
    ++n;
  return n;
}
}  // namespace

int RsyncDaemon::connections() const { return countLines(logText(), "] connect from "); }

int RsyncDaemon::connections(std::string_view module) const {
  // rsync logs this for every connection that passed "hosts allow" and named the module, before the
  // auth and "max connections" checks, so refused connections are counted too.
  return countLines(logText(), "allowed access on module " + std::string(module) + " from ");
}

int RsyncDaemon::authFailures(std::string_view module) const {
  return countLines(logText(), "auth failed on module " + std::string(module) + " from ");
}

RunResult RsyncDaemon::push(const fs::path& srcDir, std::string_view module, std::vector<std::string> extraArgs) const {
  std::vector<std::string> argv = {"rsync", "-a", "--password-file=" + clientPasswordFile_.string()};
  argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
  argv.push_back(srcDir.string() + "/");
  argv.push_back(url(module));
  return runProgram(std::move(argv), dir_ / ("push-" + std::string(module) + ".out"), 60s);
}

}  // namespace fsrelay::test
