// Leveled logging: timestamps, level names, repeat limiting, one write(2) per line so threads never interleave.
#include "core/log/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "core/log/line_format.hpp"
#include "core/log/rate_limiter.hpp"

namespace fsrelay::log {
namespace {
std::atomic<int> gLevel{static_cast<int>(Level::Info)};
std::atomic<int> gFormat{static_cast<int>(Format::Text)};
std::atomic<int> gFd{STDERR_FILENO};
std::string gPath;  // set on the main thread before other threads start, or by reopen() on it
constexpr const char* kNames[] = {"error", "warn", "info", "debug"};

// Guards the limiter only; Debug lines never take it.
std::mutex gLimitMutex;
// Never destroyed: a thread may still log while static objects are torn down at exit.
RateLimiter& limiter() {
  static auto* l = new RateLimiter();
  return *l;
}

std::atomic<std::size_t> gOverlay{0};

void emit(Level level, std::string_view message, const Fields* fields) {
  std::string line = formatLine(static_cast<Format>(gFormat.load(std::memory_order_relaxed)),
                                localStamp(std::chrono::system_clock::now()), level, message, fields);
  // A progress bar below the log: clear it and write the line in its place; the next turn draws it again.
  if (std::size_t shown = gOverlay.exchange(0); shown > 0)
    line.insert(0, "\r" + (shown > 1 ? "\033[" + std::to_string(shown - 1) + "A" : std::string()) + "\033[J");
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

void emitSummaries(const std::vector<RateLimiter::Summary>& summaries) {
  for (const auto& s : summaries) {
    Fields f;
    f.number("suppressed", static_cast<std::int64_t>(s.suppressed));
    emit(s.level, s.message, &f);
  }
}

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

const char* levelName(Level level) { return kNames[static_cast<int>(level)]; }

bool parseFormat(std::string_view text, Format* out) {
  if (text == "text") *out = Format::Text;
  else if (text == "json") *out = Format::Json;
  else return false;
  return true;
}

void setLevel(Level level) { gLevel = static_cast<int>(level); }
void setFormat(Format format) { gFormat = static_cast<int>(format); }
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

void setOverlay(std::size_t lines) { gOverlay = lines; }
std::size_t takeOverlay() { return gOverlay.exchange(0); }

bool reopen() { return gPath.empty() || toFile(gPath); }

void write(Level level, std::string_view message, const Fields& fields) {
  if (level == Level::Debug) {
    emit(level, message, &fields);
    return;
  }
  // Under the lock through the write too, so a summary never lands after the line that triggered it.
  std::lock_guard lock(gLimitMutex);
  RateLimiter::Verdict v = limiter().admit(level, message, std::chrono::steady_clock::now());
  emitSummaries(v.before);
  if (v.pass) emit(level, message, &fields);
}

void write(Level level, std::string_view message) { write(level, message, Fields()); }

void flushSuppressed() {
  std::lock_guard lock(gLimitMutex);
  emitSummaries(limiter().due(std::chrono::steady_clock::now()));
}

}  // namespace fsrelay::log
