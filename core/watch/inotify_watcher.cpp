// inotify glue: kernel events to ChangeKind for one root, with watches following the tree's shape.
#include "core/watch/inotify_watcher.hpp"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/log/log.hpp"
#include "core/util/escape.hpp"
#include "core/watch/tree_walk.hpp"

namespace fsrelay {
namespace {

// The two halves of a rename are queued together by the kernel; a reader can at worst see the first
// half at the end of one read. Holding it this long is far above that window and far below a batch.
constexpr std::int64_t kMoveHoldMs = 3;

long readProcLong(const char* path) {
  std::ifstream in(path);
  long v = -1;
  in >> v;
  return v;
}

}  // namespace

InotifyWatcher::InotifyWatcher(std::string rootAbs, const Filter& filter, const InotifyToggles& toggles,
                               bool forceStat)
    : root_(std::move(rootAbs)), filter_(filter), toggles_(toggles), forceStat_(forceStat) {}

InotifyWatcher::~InotifyWatcher() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint32_t InotifyWatcher::mask() const {
  // Creation, deletion, renames and close-after-write are always needed: they keep the watch tree in
  // shape and tell when a file's data is complete. The toggles decide what is sent (see readEvents).
  std::uint32_t m = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR |
                    IN_DONT_FOLLOW | IN_EXCL_UNLINK;
  if (toggles_.attrib) m |= IN_ATTRIB;
  if (toggles_.modify) m |= IN_MODIFY;
  return m;
}

int InotifyWatcher::addWatch(const std::string& dirRel) {
  std::string abs = dirRel.empty() ? root_ : root_ + "/" + dirRel;
  int wd = ::inotify_add_watch(fd_, abs.c_str(), mask());
  if (wd < 0) return errno;
  auto it = wdPath_.find(wd);
  if (it != wdPath_.end() && it->second != dirRel) pathWd_.erase(it->second);
  wdPath_[wd] = dirRel;
  pathWd_[dirRel] = wd;
  return 0;
}

std::string InotifyWatcher::limitMessage(const std::string& dirRel) const {
  std::size_t dirs = 1;
  walkTree(root_, "", filter_, forceStat_, [&](const WalkEntry& e) {
    if (e.type == EntryType::Dir && !e.excluded) ++dirs;
    return true;
  });
  long limit = readProcLong("/proc/sys/fs/inotify/max_user_watches");
  long suggest = static_cast<long>(dirs) * 2 + 8192;
  if (limit > 0 && suggest < limit * 2) suggest = limit * 2;
  return log::cat("cannot watch ", escapeBytes(root_ + "/" + dirRel),
                  ": the inotify watch limit is reached (fs.inotify.max_user_watches = ", limit, "); ",
                  escapeBytes(root_), " needs ", dirs,
                  " watches, one per directory, on top of what other programs of this user hold. "
                  "fsrelay never changes sysctls itself; raise the limit with: sysctl -w fs.inotify.max_user_watches=",
                  suggest, " (and put fs.inotify.max_user_watches=", suggest,
                  " in /etc/sysctl.d/90-fsrelay.conf to keep it)");
}

bool InotifyWatcher::start(std::string* error) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    int err = errno;
    *error = log::cat("inotify_init1: ", std::strerror(err));
    if (err == EMFILE)
      *error += log::cat(" (fs.inotify.max_user_instances = ", readProcLong("/proc/sys/fs/inotify/max_user_instances"),
                         " reached; raise it with: sysctl -w fs.inotify.max_user_instances=1024)");
    return false;
  }
  int rc = addWatch("");
  if (rc != 0) {
    *error = rc == ENOSPC ? limitMessage("") : log::cat("cannot watch ", escapeBytes(root_), ": ", std::strerror(rc));
    return false;
  }
  bool ok = true;
  walkTree(root_, "", filter_, forceStat_, [&](const WalkEntry& e) {
    if (!ok || e.type != EntryType::Dir || e.excluded) return false;
    int r = addWatch(std::string(e.rel));
    if (r == ENOSPC) {
      *error = limitMessage(std::string(e.rel));
      ok = false;
      return false;
    }
    return r == 0;
  });
  return ok;
}

void InotifyWatcher::watchTree(const std::string& dirRel, WatchSink* sink) {
  int rc = addWatch(dirRel);
  if (rc != 0) {
    if (rc == ENOSPC && !limitWarned_) {
      log::error(limitMessage(dirRel));
      limitWarned_ = true;
    }
    return;
  }
  walkTree(root_, dirRel, filter_, forceStat_, [&](const WalkEntry& e) {
    if (e.excluded) return false;
    bool isDir = e.type == EntryType::Dir;
    if (isDir) {
      if (!toggles_.createFolder) return false;
      if (addWatch(std::string(e.rel)) != 0) return false;
    }
    if (sink) sink->onChange(e.rel, ChangeKind::Update, isDir, true);
    return true;
  });
}

void InotifyWatcher::forgetTree(const std::string& dirRel) {
  auto it = pathWd_.lower_bound(dirRel);
  while (it != pathWd_.end() &&
         (it->first == dirRel || (it->first.size() > dirRel.size() && it->first.compare(0, dirRel.size(), dirRel) == 0 &&
                                  it->first[dirRel.size()] == '/'))) {
    ::inotify_rm_watch(fd_, it->second);
    wdPath_.erase(it->second);
    it = pathWd_.erase(it);
  }
}

void InotifyWatcher::renameTree(const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, int>> moved;
  auto it = pathWd_.lower_bound(from);
  while (it != pathWd_.end() &&
         (it->first == from || (it->first.size() > from.size() && it->first.compare(0, from.size(), from) == 0 &&
                                it->first[from.size()] == '/'))) {
    moved.emplace_back(to + it->first.substr(from.size()), it->second);
    it = pathWd_.erase(it);
  }
  for (auto& [path, wd] : moved) {
    wdPath_[wd] = path;
    pathWd_[path] = wd;
  }
}

void InotifyWatcher::releaseMove(WatchSink& sink, std::uint32_t cookie) {
  auto it = held_.find(cookie);
  if (it == held_.end()) return;
  // Moved out of the root (or to an excluded name): a delete, and its watches now watch nothing of ours.
  if (it->second.isDir) forgetTree(it->second.from);
  if (toggles_.moveFrom) sink.onChange(it->second.from, ChangeKind::Delete, it->second.isDir, false);
  held_.erase(it);
}

void InotifyWatcher::readEvents(WatchSink& sink, std::int64_t nowMs) {
  alignas(inotify_event) char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        sink.onOverflow();
        continue;
      }
      auto dirIt = wdPath_.find(ev->wd);
      if (ev->mask & IN_IGNORED) {
        if (dirIt != wdPath_.end()) {
          pathWd_.erase(dirIt->second);
          wdPath_.erase(dirIt);
        }
        continue;
      }
      if (dirIt == wdPath_.end() || ev->len == 0) continue;
      std::string rel = joinRel(dirIt->second, std::string_view(ev->name));
      bool isDir = (ev->mask & IN_ISDIR) != 0;
      if (filter_.excludedSelf(rel, isDir)) {
        // Renamed to an excluded name: for the targets it is gone.
        if ((ev->mask & IN_MOVED_TO) && held_.count(ev->cookie)) releaseMove(sink, ev->cookie);
        continue;
      }
      if (ev->mask & IN_MOVED_FROM) {
        held_[ev->cookie] = HeldMove{rel, isDir, nowMs + kMoveHoldMs};
      } else if (ev->mask & IN_MOVED_TO) {
        auto held = held_.find(ev->cookie);
        if (held != held_.end()) {
          std::string from = std::move(held->second.from);
          held_.erase(held);
          if (isDir) renameTree(from, rel);
          if (toggles_.moveFrom && toggles_.moveTo) {
            sink.onMove(from, rel, isDir);
          } else if (toggles_.moveTo) {
            sink.onChange(rel, ChangeKind::Update, isDir, true);
          } else if (toggles_.moveFrom) {
            sink.onChange(from, ChangeKind::Delete, isDir, false);
          }
          // A directory renamed inside the root keeps its watches; its contents are sent under the new
          // name by a scan (rsync has no remote rename).
          if (isDir && toggles_.moveTo) {
            walkTree(root_, rel, filter_, forceStat_, [&](const WalkEntry& e) {
              if (e.excluded) return false;
              sink.onChange(e.rel, ChangeKind::Update, e.type == EntryType::Dir, true);
              return true;
            });
          }
        } else if (toggles_.moveTo) {
          if (isDir) {
            sink.onChange(rel, ChangeKind::Update, true, true);
            watchTree(rel, &sink);
          } else {
            sink.onChange(rel, ChangeKind::Update, false, true);
          }
        }
      } else if (ev->mask & IN_CREATE) {
        if (isDir) {
          if (!toggles_.createFolder) continue;
          sink.onChange(rel, ChangeKind::Update, true, true);
          watchTree(rel, &sink);
        } else {
          // A regular file is complete when its writer closes it; a symlink, fifo or hard link never
          // sees a close, so it is complete now.
          struct stat st;
          std::string abs = root_ + "/" + rel;
          bool regular = ::lstat(abs.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
          sink.onChange(rel, regular ? ChangeKind::Write : ChangeKind::Update, false, true);
        }
      } else if (ev->mask & IN_DELETE) {
        if (isDir) forgetTree(rel);
        if (toggles_.del) sink.onChange(rel, ChangeKind::Delete, isDir, false);
      } else if (ev->mask & IN_CLOSE_WRITE) {
        sink.onChange(rel, ChangeKind::Settle, false, false);
      } else if (ev->mask & IN_MODIFY) {
        sink.onChange(rel, ChangeKind::Write, false, false);
      } else if (ev->mask & IN_ATTRIB) {
        sink.onChange(rel, ChangeKind::Update, isDir, false);
      }
    }
  }
  tick(sink, nowMs);
}

std::optional<std::int64_t> InotifyWatcher::nextDeadline() const {
  std::optional<std::int64_t> best;
  for (auto& [cookie, m] : held_)
    if (!best || m.deadlineMs < *best) best = m.deadlineMs;
  return best;
}

void InotifyWatcher::tick(WatchSink& sink, std::int64_t nowMs) {
  std::vector<std::uint32_t> due;
  for (auto& [cookie, m] : held_)
    if (m.deadlineMs <= nowMs) due.push_back(cookie);
  for (auto c : due) releaseMove(sink, c);
}

void InotifyWatcher::rescan() {
  addWatch("");
  walkTree(root_, "", filter_, forceStat_, [&](const WalkEntry& e) {
    if (e.type != EntryType::Dir || e.excluded) return false;
    return addWatch(std::string(e.rel)) == 0;
  });
}

}  // namespace fsrelay
