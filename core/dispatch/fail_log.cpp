// Fail log persistence: whole-file atomic rewrites, so a crash leaves the old or the new version, never half.
#include "core/dispatch/fail_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/log/log.hpp"
#include "core/util/escape.hpp"
#include "core/util/metrics.hpp"

namespace fsrelay {
namespace {
constexpr const char* kHeader =
    "# fsrelay fail log: changes not delivered after every retry; replayed at start, every timeToExecute\n"
    "# minutes and when the target accepts transfers again. An entry is removed once delivered.\n"
    "# Fields (tab-separated, bytes escaped as \\xNN): target, root, kind, file|dir, path\n";
}

std::string FailLog::formatLine(const FailEntry& e) {
  return escapeBytes(e.target) + "\t" + escapeBytes(e.root) + "\t" + e.kind + "\t" + (e.isDir ? "dir" : "file") + "\t" +
         escapeBytes(e.path);
}

bool FailLog::parseLine(const std::string& line, FailEntry* out) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    std::size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  if (fields.size() != 5) return false;
  auto target = unescapeBytes(fields[0]), root = unescapeBytes(fields[1]), path = unescapeBytes(fields[4]);
  if (!target || !root || !path || path->empty()) return false;
  if (fields[2] != "upsert" && fields[2] != "delete" && fields[2] != "full") return false;
  if (fields[3] != "file" && fields[3] != "dir") return false;
  *out = FailEntry{*target, *root, fields[2], fields[3] == "dir", *path};
  return true;
}

bool FailLog::load(std::string* error, std::vector<std::string>* warnings) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return true;
    *error = "cannot read fail log " + path_ + ": " + std::strerror(errno);
    return false;
  }
  std::lock_guard lock(mutex_);
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty() || line[0] == '#') continue;
    FailEntry e;
    if (!parseLine(line, &e)) {
      // sersync's fail log is a shell script: say so rather than silently dropping its lines.
      warnings->push_back(log::cat(path_, ":", lineNo, ": not an fsrelay fail-log entry, ignored",
                                   line.rfind("rsync", 0) == 0 ? " (a sersync fail-log command? run it by hand once)" : ""));
      continue;
    }
    byTarget_[e.target][e.path] = e;
  }
  return true;
}

void FailLog::persistLocked() {
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    metrics::add("fail_log_write_errors", 1);
    if (!warnedWrite_) log::error("cannot write fail log ", tmp, ": ", std::strerror(errno));
    warnedWrite_ = true;
    return;
  }
  std::string data = kHeader;
  for (const auto& [target, paths] : byTarget_)
    for (const auto& [path, e] : paths) data += formatLine(e) + "\n";
  bool ok = true;
  for (std::size_t off = 0; off < data.size();) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w <= 0) {
      ok = false;
      break;
    }
    off += static_cast<std::size_t>(w);
  }
  ok = ::fsync(fd) == 0 && ok;
  ::fchmod(fd, 0600);
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    metrics::add("fail_log_write_errors", 1);
    if (!warnedWrite_) log::error("cannot write fail log ", path_, ": ", std::strerror(errno));
    warnedWrite_ = true;
    ::unlink(tmp.c_str());
    return;
  }
  warnedWrite_ = false;
}

void FailLog::add(const std::vector<FailEntry>& entries) {
  if (entries.empty()) return;
  std::lock_guard lock(mutex_);
  for (const auto& e : entries) byTarget_[e.target][e.path] = e;
  persistLocked();
}

void FailLog::remove(const std::string& target, const std::vector<std::string>& paths) {
  std::lock_guard lock(mutex_);
  auto it = byTarget_.find(target);
  if (it == byTarget_.end()) return;
  bool changed = false;
  for (const auto& p : paths) changed = it->second.erase(p) > 0 || changed;
  if (it->second.empty()) byTarget_.erase(it);
  if (changed) persistLocked();
}

std::vector<FailEntry> FailLog::entriesFor(const std::string& target) const {
  std::lock_guard lock(mutex_);
  std::vector<FailEntry> out;
  auto it = byTarget_.find(target);
  if (it != byTarget_.end())
    for (const auto& [p, e] : it->second) out.push_back(e);
  return out;
}

std::size_t FailLog::size() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [t, paths] : byTarget_) n += paths.size();
  return n;
}

std::size_t FailLog::sizeFor(const std::string& target) const {
  std::lock_guard lock(mutex_);
  auto it = byTarget_.find(target);
  return it == byTarget_.end() ? 0 : it->second.size();
}

}  // namespace fsrelay
