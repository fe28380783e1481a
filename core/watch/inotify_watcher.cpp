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
#include "core/util/metrics.hpp"
#include "core/watch/tree_walk.hpp"

namespace fsrelay {
namespace {

// The two halves of a rename are queued together by the kernel; a reader can at worst see the first
// half at the end of one read. Holding it this long is far above that window and far below a batch.
constexpr std::int64_t kMoveHoldMs = 3;

// A root that went away is looked for this often. It usually comes back from a script (rm -rf, then
// mkdir or an unpacked archive) within a second; a full sync follows anyway, so sooner gains little.
constexpr std::int64_t kRootPollMs = 500;

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
  std::uint32_t m = mask();
  // The root's own end (removed, moved away) is the one change that no parent watch of ours reports.
  if (dirRel.empty()) m |= IN_DELETE_SELF | IN_MOVE_SELF;
  int wd = ::inotify_add_watch(fd_, abs.c_str(), m);
  if (wd < 0) return errno;
  struct stat st {};
  if (::lstat(abs.c_str(), &st) != 0) st = {};
  // The same wd under a new path (the same inode moved back in, or found by a scan before its rename was
  // read) moves to this node; a directory replaced at this path leaves its old wd behind (see setInfo).
  tree_.setInfo(tree_.ensure(dirRel), DirTree::Info{wd, st.st_dev, st.st_ino});
  if (dirRel.empty()) rootWd_ = wd;
  return 0;
}

void InotifyWatcher::unmap(int wd) {
  std::uint32_t node = tree_.nodeOfWd(wd);
  if (node != DirTree::kNone) tree_.clearWatch(node);
}

bool InotifyWatcher::stillThere(const std::string& rel, const DirTree::Info& d) const {
  std::string abs = rel.empty() ? root_ : root_ + "/" + rel;
  struct stat st;
  return ::lstat(abs.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev == d.dev && st.st_ino == d.ino;
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
    if (!scanUnwatched_) {
      int r = addWatch(std::string(e.rel));
      if (r == ENOSPC) {
        *error = limitMessage(std::string(e.rel));
        ok = false;
        return false;
      }
      return r == 0;
    }
    return watchOrCover(std::string(e.rel), nullptr) == 0;
  });
  if (ok && !unwatched_.empty())
    log::warn(escapeBytes(root_), ": ", unwatched_.size(), " directories (with everything below them) are not "
              "watched but scanned every ", scanEveryMs_ / 1000, " s; the status lists them");
  tree_.shrinkToFit();
  return ok;
}

void InotifyWatcher::setWatchLimit(bool scan, int scanSeconds) {
  scanUnwatched_ = scan;
  scanEveryMs_ = static_cast<std::int64_t>(scanSeconds) * 1000;
}

namespace {
bool isAtOrBelow(const std::string& path, const std::string& top) {
  return top.empty() || path == top ||
         (path.size() > top.size() && path.compare(0, top.size(), top) == 0 && path[top.size()] == '/');
}
}  // namespace

bool InotifyWatcher::underUnwatched(const std::string& rel) const {
  if (unwatched_.empty()) return false;
  // rel and each of its ancestors: a few lookups, where a range search would have to skip siblings.
  for (std::string p = rel;;) {
    if (unwatched_.count(p)) return true;
    auto slash = p.rfind('/');
    if (slash == std::string::npos) return false;
    p.resize(slash);
  }
}

int InotifyWatcher::coverIfFull(int rc, const std::string& dirRel, WatchSink* sink) {
  if (rc == 0 && !unwatched_.empty()) unwatched_.erase(dirRel);  // watchable again (the limit was raised)
  if (rc != ENOSPC) return rc;
  if (!limitWarned_) {
    limitWarned_ = true;
    if (scanUnwatched_)
      log::warn(limitMessage(dirRel), ". Carrying on (<watchLimit action=\"scan\">): each directory that cannot be "
                "watched is scanned every ", scanEveryMs_ / 1000, " s instead, so its changes arrive that late");
    else
      log::error(limitMessage(dirRel), ". Changes below it are not seen (<watchLimit action=\"scan\"> would scan "
                 "such directories instead)");
  }
  if (!scanUnwatched_ || unwatched_.count(dirRel)) return rc;
  Listing seen = snapshot(dirRel);
  // Found at runtime (created or moved in): what is in it is new to the targets, as in watchTree.
  if (sink)
    for (const auto& [rel, st] : seen) sink->onChange(rel, ChangeKind::Update, st.isDir, true);
  unwatched_.emplace(dirRel, std::move(seen));
  return rc;
}

InotifyWatcher::Listing InotifyWatcher::snapshot(const std::string& top) const {
  Listing out;
  walkTree(root_, top, filter_, forceStat_, [&](const WalkEntry& e) {
    if (e.excluded) return false;
    struct stat st;
    std::string abs = root_ + "/" + std::string(e.rel);
    if (::lstat(abs.c_str(), &st) != 0) return false;
    out.emplace(std::string(e.rel), Stamp{st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec,
                                          st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
                                          static_cast<std::int64_t>(st.st_size), S_ISDIR(st.st_mode)});
    return true;
  });
  return out;
}

void InotifyWatcher::scanUnwatched(WatchSink& sink) {
  // A listing compared with the last one: new or changed entries (ctime moves on any change of data,
  // metadata or name) are sent as updates, missing ones as deletes. Simpler than asking for a full sync
  // of each subtree, and it costs one walk of just these directories, not of the root.
  for (auto it = unwatched_.begin(); it != unwatched_.end();) {
    const std::string& top = it->first;
    Listing& seen = it->second;
    struct stat st;
    std::string abs = root_ + "/" + top;
    if (::lstat(abs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      // Gone: its watched parent reported that (and dropUnwatched ran); a leftover is dropped here.
      it = unwatched_.erase(it);
      continue;
    }
    auto now = snapshot(top);
    for (const auto& [rel, stamp] : now) {
      auto old = seen.find(rel);
      if (old == seen.end())
        sink.onChange(rel, ChangeKind::Update, stamp.isDir, true);
      else if (old->second.ctimeNs != stamp.ctimeNs || old->second.mtimeNs != stamp.mtimeNs ||
               old->second.size != stamp.size || old->second.isDir != stamp.isDir)
        sink.onChange(rel, ChangeKind::Update, stamp.isDir, false);
    }
    if (toggles_.del) {
      for (const auto& [rel, stamp] : seen) {
        if (now.count(rel)) continue;
        // Only the topmost of what went: the target's delete takes what is below it.
        auto slash = rel.rfind('/');
        std::string parent = slash == std::string::npos ? std::string() : rel.substr(0, slash);
        if (parent != top && !now.count(parent)) continue;
        sink.onChange(rel, ChangeKind::Delete, stamp.isDir, false);
      }
    }
    seen = std::move(now);
    ++it;
  }
}

void InotifyWatcher::dropUnwatched(const std::string& dirRel) {
  auto it = unwatched_.lower_bound(dirRel);
  while (it != unwatched_.end() && isAtOrBelow(it->first, dirRel)) it = unwatched_.erase(it);
}

void InotifyWatcher::renameUnwatched(const std::string& from, const std::string& to) {
  std::map<std::string, Listing> moved;
  auto it = unwatched_.lower_bound(from);
  while (it != unwatched_.end() && isAtOrBelow(it->first, from)) {
    Listing renamed;
    for (auto& [rel, st] : it->second) renamed.emplace(to + rel.substr(from.size()), st);
    moved.emplace(to + it->first.substr(from.size()), std::move(renamed));
    it = unwatched_.erase(it);
  }
  for (auto& [top, listing] : moved) unwatched_[top] = std::move(listing);
}

std::vector<std::string> InotifyWatcher::unwatched(std::size_t max) const {
  std::vector<std::string> out;
  for (auto it = unwatched_.begin(); it != unwatched_.end() && out.size() < max; ++it)
    out.push_back(root_ + "/" + it->first);
  return out;
}

void InotifyWatcher::watchTree(const std::string& dirRel, WatchSink* sink) {
  if (watchOrCover(dirRel, sink) != 0) return;
  walkTree(root_, dirRel, filter_, forceStat_, [&](const WalkEntry& e) {
    if (e.excluded) return false;
    bool isDir = e.type == EntryType::Dir;
    if (isDir) {
      if (!toggles_.createFolder) return false;
      std::string rel(e.rel);
      int rc = addWatch(rel);
      if (rc != 0 && rc != ENOSPC) return false;
      if (sink) sink->onChange(rel, ChangeKind::Update, true, true);
      return coverIfFull(rc, rel, sink) == 0;  // covered: its scan listing reported what is in it
    }
    if (sink) sink->onChange(e.rel, ChangeKind::Update, isDir, true);
    return true;
  });
}

void InotifyWatcher::forgetTree(const std::string& dirRel) {
  if (!unwatched_.empty()) dropUnwatched(dirRel);
  std::uint32_t top = tree_.find(dirRel);
  if (top == DirTree::kNone) return;
  tree_.forEachIn(top, [&](std::uint32_t n) {
    if (tree_.info(n).wd >= 0) ::inotify_rm_watch(fd_, tree_.info(n).wd);
  });
  tree_.erase(top);
}

void InotifyWatcher::forgetMovedOut(const std::string& dirRel) {
  // The subtree may be in the tree again by now (moved back in before the first move was read, or
  // before its hold ran out): the inode is the same, so inotify handed out the same watch descriptors,
  // and removing them would leave it unwatched for good. Its path names the same inode exactly then.
  std::uint32_t top = tree_.find(dirRel);
  if (top == DirTree::kNone) return;
  std::vector<std::uint32_t> nodes;
  tree_.forEachIn(top, [&](std::uint32_t n) { nodes.push_back(n); });
  std::vector<std::uint32_t> gone;
  for (std::uint32_t n : nodes) {
    const auto& info = tree_.info(n);
    if (info.wd < 0 || stillThere(tree_.path(n), info)) continue;
    ::inotify_rm_watch(fd_, info.wd);
    gone.push_back(n);
  }
  // Children first: clearing a watch prunes a node left with nothing, and then its parent may follow.
  for (auto it = gone.rbegin(); it != gone.rend(); ++it) tree_.clearWatch(*it);
}

void InotifyWatcher::renameTree(const std::string& from, const std::string& to) {
  tree_.move(from, to);
  if (!unwatched_.empty()) renameUnwatched(from, to);
}

void InotifyWatcher::hold(std::uint32_t cookie, HeldMove move) {
  heldFrom_[move.from] = cookie;
  held_[cookie] = std::move(move);
}

void InotifyWatcher::releaseMove(WatchSink& sink, std::uint32_t cookie) {
  auto it = held_.find(cookie);
  if (it == held_.end()) return;
  HeldMove m = std::move(it->second);
  held_.erase(it);
  auto f = heldFrom_.find(m.from);
  if (f != heldFrom_.end() && f->second == cookie) heldFrom_.erase(f);
  // Moved out of the root (or to an excluded name): a delete, and its watches now watch nothing of ours.
  if (m.isDir) forgetMovedOut(m.from);
  if (toggles_.moveFrom) sink.onChange(m.from, ChangeKind::Delete, m.isDir, false);
}

void InotifyWatcher::releaseHeldAt(WatchSink& sink, const std::string& rel, std::uint32_t cookie) {
  // A rename holds its directory lock until both halves are queued, and nothing new can appear at rel
  // without that lock: a move-from of rel still held now has no partner to come. Releasing it here, not
  // when its hold runs out, keeps the Delete ahead of what replaced it (else the coalescer reads
  // "created, then deleted" and cancels both, and the targets keep the old entry).
  auto f = heldFrom_.find(rel);
  if (f != heldFrom_.end() && f->second != cookie) releaseMove(sink, f->second);
}

void InotifyWatcher::loseRoot(std::int64_t nowMs, const char* what) {
  log::error("the watched root ", escapeBytes(root_), " ", what, ": nothing in it is watched or sent until a "
             "directory of that name is there again (checked every ", kRootPollMs, " ms); then it is watched "
             "again and fully synced to every remote");
  metrics::add("roots_lost", 1);
  // After a move the old watches still see the old tree, which is no longer ours; after a removal the
  // kernel has dropped them already and this is a no-op.
  tree_.forEachIn(0, [&](std::uint32_t n) {
    if (tree_.info(n).wd >= 0) ::inotify_rm_watch(fd_, tree_.info(n).wd);
  });
  tree_.clear();
  unwatched_.clear();  // the full sync after the root returns covers them; restoreRoot finds them again
  rootWd_ = -1;
  rootLost_ = true;
  rootPollMs_ = nowMs + kRootPollMs;
}

bool InotifyWatcher::restoreRoot() {
  int rc = addWatch("");
  if (rc != 0) {
    if (rc != ENOENT && rc != ENOTDIR && !restoreWarned_) {
      log::warn("cannot watch ", escapeBytes(root_), " again: ", std::strerror(rc), "; trying again every ",
                kRootPollMs, " ms");
      restoreWarned_ = true;
    }
    return false;
  }
  rootLost_ = false;
  restoreWarned_ = false;
  walkTree(root_, "", filter_, forceStat_, [&](const WalkEntry& e) {
    if (e.type != EntryType::Dir || e.excluded) return false;
    return watchOrCover(std::string(e.rel), nullptr) == 0;
  });
  log::info(escapeBytes(root_), " is there again: watching ", tree_.watchCount(),
            " directories and running a full sync of it to every remote");
  return true;
}

void InotifyWatcher::readEvents(WatchSink& sink, std::int64_t nowMs) {
  alignas(inotify_event) char buf[64 * 1024];
  std::string rel;  // reused: no allocation per event once it has grown to the longest path
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
      if (ev->wd == rootWd_ && (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))) {
        // Renamed and back again, or a parent renamed onto the same path: still the root we watch.
        if ((ev->mask & IN_MOVE_SELF) && tree_.info(0).wd == rootWd_ && stillThere("", tree_.info(0))) continue;
        loseRoot(nowMs, (ev->mask & IN_MOVE_SELF)     ? "was moved away"
                        : (ev->mask & IN_DELETE_SELF) ? "was removed"
                                                      : "was removed or its file system unmounted");
        continue;
      }
      if (ev->mask & IN_IGNORED) {
        unmap(ev->wd);
        continue;
      }
      if (ev->len == 0) continue;
      std::uint32_t node = tree_.nodeOfWd(ev->wd);
      if (node == DirTree::kNone) continue;
      tree_.joinPath(node, std::string_view(ev->name), rel);
      bool isDir = (ev->mask & IN_ISDIR) != 0;
      if (filter_.excludedSelf(rel, isDir)) {
        // Renamed to an excluded name: for the targets it is gone.
        if ((ev->mask & IN_MOVED_TO) && held_.count(ev->cookie)) releaseMove(sink, ev->cookie);
        continue;
      }
      if (ev->mask & IN_MOVED_FROM) {
        hold(ev->cookie, HeldMove{rel, isDir, nowMs + kMoveHoldMs});
      } else if (ev->mask & IN_MOVED_TO) {
        releaseHeldAt(sink, rel, ev->cookie);
        auto held = held_.find(ev->cookie);
        if (held != held_.end()) {
          std::string from = std::move(held->second.from);
          held_.erase(held);
          auto f = heldFrom_.find(from);
          if (f != heldFrom_.end() && f->second == ev->cookie) heldFrom_.erase(f);
          if (isDir) renameTree(from, rel);
          if (toggles_.moveFrom && toggles_.moveTo) {
            sink.onMove(from, rel, isDir);
          } else if (toggles_.moveTo) {
            sink.onChange(rel, ChangeKind::Update, isDir, true);
          } else if (toggles_.moveFrom) {
            sink.onChange(from, ChangeKind::Delete, isDir, false);
          }
          // A directory renamed inside the root keeps its watches; its contents are sent under the new
          // name by a scan (rsync has no remote rename). The scan also watches each directory again:
          // the same inode gives the same descriptor, now under its new path, and one whose watch was
          // given up on the way (moved out and back in while its first move was held) is watched anew.
          if (isDir && (toggles_.moveTo || toggles_.createFolder)) {
            if (toggles_.createFolder) addWatch(rel);
            walkTree(root_, rel, filter_, forceStat_, [&](const WalkEntry& e) {
              if (e.excluded) return false;
              bool dir = e.type == EntryType::Dir;
              if (toggles_.moveTo) sink.onChange(e.rel, ChangeKind::Update, dir, true);
              // The walk goes on below a directory that cannot be watched: its entries are sent under the
              // new name here, and its scan listing (renamed along, or taken now) sees only later changes.
              if (dir && toggles_.createFolder && !underUnwatched(std::string(e.rel)))
                watchOrCover(std::string(e.rel), nullptr);
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
        releaseHeldAt(sink, rel, 0);
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
  if (rootLost_ && (!best || rootPollMs_ < *best)) best = rootPollMs_;
  if (!unwatched_.empty() && nextScanMs_ > 0 && (!best || nextScanMs_ < *best)) best = nextScanMs_;
  return best;
}

void InotifyWatcher::tick(WatchSink& sink, std::int64_t nowMs) {
  std::vector<std::uint32_t> due;
  for (auto& [cookie, m] : held_)
    if (m.deadlineMs <= nowMs) due.push_back(cookie);
  for (auto c : due) releaseMove(sink, c);
  if (!unwatched_.empty()) {
    if (nextScanMs_ == 0) {
      nextScanMs_ = nowMs + scanEveryMs_;
    } else if (nextScanMs_ <= nowMs) {
      nextScanMs_ = nowMs + scanEveryMs_;
      scanUnwatched(sink);
    }
  }
  if (rootLost_ && rootPollMs_ <= nowMs) {
    rootPollMs_ = nowMs + kRootPollMs;
    // Whatever happened in the root while it was not watched, and what its children's deletes took
    // from the targets, only a full sync of the whole root puts right: that is what an overflow asks for.
    if (restoreRoot()) sink.onOverflow(true);
  }
}

void InotifyWatcher::rescan() {
  if (rootLost_) return;  // tick() watches it again once it is back, and asks for its own full sync
  addWatch("");
  walkTree(root_, "", filter_, forceStat_, [&](const WalkEntry& e) {
    if (e.type != EntryType::Dir || e.excluded) return false;
    return watchOrCover(std::string(e.rel), nullptr) == 0;
  });
}

}  // namespace fsrelay
