// Leveled logging: timestamps, level names, one write(2) per line so threads never interleave.
#include "core/log/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace fsrelay::log {
namespace {
std::atomic<int> gLevel{static_cast<int>(Level::Info)};
std::atomic<int> gFd{STDERR_FILENO};
std::string gPath;  // set on the main thread before other threads start, or by reopen() on it
constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
}  // namespace

bool parseLevel(std::string_view text, Level* out) {
  for (int i = 0; i < 4; ++i) {
    if (text == kNames[i]) {
      *out = static_cast<Level>(i);
      return true;
    }
  }
  if (text == "warning") {
    *out = Level::Warn;
    return true;
  }
  return false;
}

void setLevel(Level level) { gLevel = static_cast<int>(level); }
bool enabled(Level level) { return static_cast<int>(level) <= gLevel.load(std::memory_order_relaxed); }

bool toFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  int old = gFd.exchange(fd);
  gPath = path;
  // The old descriptor is kept open: another thread may be writing a line to it right now. A reopen per
  // logrotate leaks one descriptor, closed below the next time (by then no write can still hold it).
  static int retired = -1;
  if (retired >= 0 && retired != STDERR_FILENO) ::close(retired);
  retired = old;
  return true;
}

bool reopen() { return gPath.empty() || toFile(gPath); }

void write(Level level, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t secs = system_clock::to_time_t(now);
  int ms = static_cast<int>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char stamp[40];
  size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line;
  line.reserve(message.size() + 48);
  line.append(stamp, n);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d ", ms);
  line.append(frac);
  line.append(kNames[static_cast<int>(level)]);
  line.append(": ");
  line.append(message);
  line.push_back('\n');
  const char* p = line.data();
  size_t left = line.size();
  int fd = gFd.load();
  while (left > 0) {
    ssize_t w = ::write(fd, p, left);
    if (w <= 0) break;
    p += w;
    left -= static_cast<size_t>(w);
  }
}

}  // namespace fsrelay::log
