// Journal file I/O: recovery with torn-tail tolerance, group-committed appends, atomic checkpoints.
#include "core/journal/journal.hpp"

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

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

bool Journal::open(JournalState* previous, std::vector<std::string>* warnings, std::string* error) {
  std::ifstream in(path_, std::ios::binary);
  if (in) {
    previous->existed = true;
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string data = ss.str();
    std::size_t lineNo = 0;
    for (std::size_t pos = 0; pos < data.size();) {
      ++lineNo;
      std::size_t nl = data.find('\n', pos);
      if (nl == std::string::npos) {
        warnings->push_back(log::cat(path_, ":", lineNo, ": last record is incomplete (cut off by a crash or power loss); skipped"));
        break;
      }
      std::string line = data.substr(pos, nl - pos);
      pos = nl + 1;
      auto tab = line.find('\t');
      if (line.rfind("C\t", 0) == 0) {
        try {
          previous->checkpointNs = std::stoll(line.substr(2));
          previous->pending.clear();
          previous->fullSync.clear();
          continue;
        } catch (...) {
        }
      } else if (line.rfind("F\t", 0) == 0) {
        if (auto root = unescapeBytes(std::string_view(line).substr(2)); root && !root->empty()) {
          previous->fullSync.insert(*root);
          continue;
        }
      } else if (line.rfind("+\t", 0) == 0 && tab == 1) {
        auto tab2 = line.find('\t', 2);
        if (tab2 != std::string::npos) {
          auto root = unescapeBytes(std::string_view(line).substr(2, tab2 - 2));
          auto path = unescapeBytes(std::string_view(line).substr(tab2 + 1));
          if (root && path && !path->empty()) {
            previous->pending[*root].insert(*path);
            continue;
          }
        }
      }
      warnings->push_back(log::cat(path_, ":", lineNo, ": not a journal record; skipped"));
    }
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    *error = "cannot open the journal " + path_ + ": " + std::strerror(errno);
    return false;
  }
  ::fchmod(fd_, 0600);
  // A torn tail must not glue itself to the next record.
  struct stat st;
  if (::fstat(fd_, &st) == 0 && st.st_size > 0 && previous->existed) {
    std::ifstream tail(path_, std::ios::binary);
    tail.seekg(st.st_size - 1);
    if (tail.get() != '\n') writeAll(fd_, "\n");
  }
  // Everything the previous run left pending stays pending until this run's first checkpoint.
  for (const auto& [root, paths] : previous->pending)
    for (const auto& p : paths) record(root, p);
  for (const auto& root : previous->fullSync) recordFullSync(root);
  return true;
}

namespace {
// The two record lines, shared by the append path and the checkpoint that rewrites the file.
void appendFullSyncLine(std::string& out, const std::string& root) { out += "F\t" + escapeBytes(root) + "\n"; }
void appendPendingLine(std::string& out, const std::string& root, const std::string& path) {
  out += "+\t" + escapeBytes(root) + "\t" + escapeBytes(path) + "\n";
}
}  // namespace

void Journal::recordFullSync(const std::string& root) {
  appendFullSyncLine(buffer_, root);
  dirty_ = true;
}

void Journal::record(const std::string& root, const std::string& path) {
  appendPendingLine(buffer_, root, path);
  dirty_ = true;
  ++records_;
}

bool Journal::writeAll(int fd, const std::string& data) {
  for (std::size_t off = 0; off < data.size();) {
    ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += static_cast<std::size_t>(w);
  }
  return true;
}

void Journal::onWriteError(const std::string& what) {
  metrics::add("journal_write_errors", 1);
  // Once per failure spell: a full disk must not flood the log. The next start falls back to the last
  // checkpoint that did reach the disk, so nothing is lost, only more is re-checked.
  if (!failed_) log::error("journal ", path_, ": ", what, ": ", std::strerror(errno), " (fsrelay goes on; after a crash "
                           "the restart re-checks everything changed since the last checkpoint that was written)");
  failed_ = true;
}

void Journal::dropBuffer() {
  constexpr std::size_t kKeepBytes = 64 * 1024;
  if (buffer_.capacity() > kKeepBytes) {
    std::string().swap(buffer_);
  } else {
    buffer_.clear();
  }
}

void Journal::flush(std::int64_t nowMs, bool force) {
  if (fd_ < 0 || buffer_.empty()) return;
  if (!force && nowMs - lastFlushMs_ < kWindowMs) return;
  lastFlushMs_ = nowMs;
  if (!writeAll(fd_, buffer_) || ::fdatasync(fd_) != 0) {
    onWriteError("cannot append");
    dropBuffer();
    return;
  }
  if (failed_) log::info("journal ", path_, ": writing again");
  failed_ = false;
  metrics::add("journal_flushes", 1);
  dropBuffer();
}

void Journal::checkpoint(std::int64_t ns, const std::vector<std::pair<std::string, std::string>>& stillPending,
                         const std::vector<std::string>& fullSyncRoots) {
  if (fd_ < 0) return;
  dropBuffer();
  std::string text = "C\t" + std::to_string(ns) + "\n";
  for (const auto& root : fullSyncRoots) appendFullSyncLine(text, root);
  for (const auto& [root, path] : stillPending) appendPendingLine(text, root, path);
  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && writeAll(fd, text) && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    onWriteError("cannot write a checkpoint");
    ::unlink(tmp.c_str());
    return;
  }
  // The rename itself must survive a power loss, or the old journal comes back with a stale checkpoint.
  std::string dir = path_.substr(0, path_.rfind('/') == std::string::npos ? 0 : path_.rfind('/'));
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  // Appends go to the new file from now on.
  int nfd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (nfd >= 0) {
    ::close(fd_);
    fd_ = nfd;
  }
  if (failed_) log::info("journal ", path_, ": writing again");
  failed_ = false;
  dirty_ = !stillPending.empty() || !fullSyncRoots.empty();
  records_ = stillPending.size();
  metrics::add("journal_checkpoints", 1);
}

}  // namespace fsrelay
