// Progress of full syncs for people: formatting, the terminal bar and the periodic log lines.
#include "core/engine/progress_report.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "core/dispatch/transfer_log.hpp"
#include "core/log/log.hpp"
#include "core/util/escape.hpp"

namespace fsrelay {

std::string formatCount(std::uint64_t n) { return groupedNumber(n); }  // the transfer lines' grouping

std::string formatBytes(std::uint64_t bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 999.95 && unit < 5) {
    v /= 1000.0;
    ++unit;
  }
  char buf[32];
  if (unit == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, v < 100 ? "%.1f %s" : "%.0f %s", v, kUnits[unit]);
  return buf;
}

std::string formatClock(std::int64_t ms) {
  const std::int64_t s = std::max<std::int64_t>(0, (ms + 500) / 1000);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

namespace {

std::string rate(double bytesPerSecond) {
  return formatBytes(static_cast<std::uint64_t>(std::llround(bytesPerSecond))) + "/s";
}

// "12,345 of 27,000 files" ("27,000+" while rsync still lists files).
std::string filesPart(const ProgressCounts& c, const char* of) {
  std::string s = formatCount(c.filesDone);
  if (c.filesTotal > 0) s += of + formatCount(c.filesTotal) + (c.totalsFinal ? "" : "+");
  return s + " files";
}

std::string etaPart(const ProgressView& v) {
  if (v.etaMs >= 0) return "ETA " + formatClock(v.etaMs);
  return v.counts.totalsFinal ? "ETA unknown" : "ETA unknown (still listing files)";
}

}  // namespace

std::string progressLine(const std::string& name, const ProgressView& v) {
  std::string line = escapeBytes(name) + ": full sync ";
  if (!v.reported) return line + "running for " + formatClock(v.elapsedMs) + " (no progress reported yet)";
  if (v.percent >= 0) line += std::to_string(v.percent) + "% — ";
  line += filesPart(v.counts, " of ") + ", " + formatBytes(v.counts.bytesDone);
  if (v.counts.bytesTotal > 0) line += " of " + formatBytes(v.counts.bytesTotal);
  return line + ", " + rate(v.bytesPerSecond) + ", " + etaPart(v);
}

std::string progressDoneLine(const std::string& name, const ProgressView& v) {
  const std::string counts = formatCount(v.counts.filesDone) + " files checked, " + formatBytes(v.counts.bytesDone) + " sent";
  const std::string took = formatClock(v.elapsedMs), speed = " (" + rate(v.bytesPerSecond) + ")";
  if (v.ok) return escapeBytes(name) + ": full sync done — " + counts + " in " + took + speed;
  return escapeBytes(name) + ": full sync failed after " + took + " — " + counts + speed;
}

std::string progressBar(const std::string& name, const ProgressView& v, std::size_t width) {
  constexpr std::size_t kBarCells = 20;
  std::string bar = "[";
  const std::size_t filled = v.percent >= 0 ? kBarCells * static_cast<std::size_t>(v.percent) / 100 : 0;
  for (std::size_t i = 0; i < kBarCells; ++i) bar += i < filled ? '#' : '-';
  bar += "] ";
  char pct[16];  // room for any int, so the compiler can see nothing is cut
  std::snprintf(pct, sizeof pct, "%3d%%", std::max(0, v.percent));
  std::string line = bar + (v.percent >= 0 ? pct : " ?? ") + "  ";
  if (v.reported) {
    ProgressCounts c = v.counts;
    line += filesPart(c, "/") + "  " + formatBytes(c.bytesDone) + "  " + rate(v.bytesPerSecond) + "  " +
            (v.etaMs >= 0 ? "ETA " + formatClock(v.etaMs) : "ETA --:--");
  } else {
    line += "starting, " + formatClock(v.elapsedMs);
  }
  line += "  " + escapeBytes(name);
  // Cut to the terminal's width: a wrapped line could not be redrawn in place. The line is ASCII (the name
  // went through escapeBytes, which escapes every other byte), so a byte is a column.
  if (line.size() > width) line.resize(width);
  return line;
}

ProgressReporter::ProgressReporter(bool terminal, std::int64_t everyMs, int fd)
    : terminal_(terminal), everyMs_(everyMs), fd_(fd) {}

ProgressReporter::~ProgressReporter() { clearBars(); }

// What is on the screen is the log's to know: a log line written since the last draw has cleared the bars.
std::string ProgressReporter::eraseShown() {
  const std::size_t shown = log::takeOverlay();
  std::string out = "\r";
  if (shown > 1) out += "\033[" + std::to_string(shown - 1) + "A";
  return out + "\033[J";
}

void ProgressReporter::clearBars() {
  if (barsShown_ == 0) return;
  const std::string out = eraseShown();
  [[maybe_unused]] auto n = ::write(fd_, out.data(), out.size());
  barsShown_ = 0;
}

void ProgressReporter::drawBars(const std::vector<std::string>& lines) {
  // Back to the first bar's line, clear down, draw again. A log line written meanwhile (by any thread) clears
  // the bars itself and takes their place; this redraw then goes below it.
  std::string out = eraseShown();
  for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  [[maybe_unused]] auto n = ::write(fd_, out.data(), out.size());
  barsShown_ = lines.size();
  log::setOverlay(barsShown_);
}

void ProgressReporter::tick(std::int64_t nowMs, const std::vector<std::unique_ptr<Target>>& targets) {
  std::vector<std::string> bars;
  std::size_t width = 100;
  if (winsize ws{}; terminal_ && ::ioctl(fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) width = ws.ws_col - 1;
  for (const auto& t : targets) {
    const ProgressView v = t->progress().view(nowMs);
    Seen& seen = seen_[t->name()];
    if (v.running) {
      if (seen.running != v.generation) {
        seen.running = v.generation;
        seen.nextLogMs = nowMs + everyMs_;
      }
      if (terminal_) {
        bars.push_back(progressBar(t->name(), v, width));
      } else if (nowMs >= seen.nextLogMs) {
        seen.nextLogMs = nowMs + everyMs_;
        log::info(progressLine(t->name(), v));
      }
      continue;
    }
    // Ended: one last line for a sync that reported progress (the target logs the others' end itself).
    if (v.generation > seen.announced) {
      seen.announced = v.generation;
      if (v.reported) {
        clearBars();
        log::info(progressDoneLine(t->name(), v));
      }
    }
  }
  if (!terminal_) return;
  if (bars.empty()) {
    clearBars();
  } else if (nowMs - lastDrawMs_ >= 250 || bars.size() != barsShown_) {
    lastDrawMs_ = nowMs;
    drawBars(bars);
  }
}

}  // namespace fsrelay
