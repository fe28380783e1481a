// fanotify glue: filesystem-mark events, named by directory handle + name, to ChangeKind for one root.
#include "core/watch/fanotify_watcher.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/log/log.hpp"
#include "core/util/escape.hpp"
#include "core/util/metrics.hpp"
#include "core/watch/tree_walk.hpp"

namespace fsrelay {
namespace {

// As InotifyWatcher: a root that went away is looked for this often.
constexpr std::int64_t kRootPollMs = 500;

// The caches are dropped whole when they reach these sizes: an entry costs about 150 bytes, and a dropped
// one only costs a fresh open_by_handle_at + readlink the next time its directory has an event.
constexpr std::size_t kMaxKnownDirs = 1 << 20;
constexpr std::size_t kMaxOutsideDirs = 1 << 16;

bool inTree(const std::string& path, const std::string& top) {
  return path.size() >= top.size() && path.compare(0, top.size(), top) == 0 &&
         (path.size() == top.size() || top.empty() || path[top.size()] == '/');
}

std::string keyOf(const file_handle* fh) {
  std::string key(reinterpret_cast<const char*>(&fh->handle_type), sizeof fh->handle_type);
  key.append(reinterpret_cast<const char*>(fh->f_handle), fh->handle_bytes);
  return key;
}

// Mount points strictly below dir (octal escapes of /proc/self/mountinfo undone): a filesystem mark does
// not see into them, where inotify's per-directory watches would.
std::string firstMountBelow(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, rootField, point;
    if (!(f >> id >> parent >> devno >> rootField >> point)) continue;
    std::string p;
    for (std::size_t i = 0; i < point.size(); ++i) {
      if (point[i] == '\\' && i + 3 < point.size()) {
        p.push_back(static_cast<char>(std::strtol(point.substr(i + 1, 3).c_str(), nullptr, 8)));
        i += 3;
      } else {
        p.push_back(point[i]);
      }
    }
    if (p != dir && inTree(p, dir == "/" ? "" : dir)) return p;
  }
  return {};
}

struct Record {
  file_handle* fh = nullptr;
  std::string_view name;
};

}  // namespace

FanotifyWatcher::FanotifyWatcher(std::string rootAbs, const Filter& filter, const InotifyToggles& toggles,
                                 bool forceStat, bool useRename)
    : root_(std::move(rootAbs)), filter_(filter), toggles_(toggles), forceStat_(forceStat), useRename_(useRename) {}

FanotifyWatcher::~FanotifyWatcher() {
  if (fd_ >= 0) ::close(fd_);
  if (mountFd_ >= 0) ::close(mountFd_);
}

std::string FanotifyWatcher::unavailableReason(const std::string& rootAbs) {
  static const Filter kNone;
  FanotifyWatcher probe(rootAbs, kNone, InotifyToggles{}, false);
  std::string why;
  return probe.start(&why) ? std::string() : why;
}

std::uint64_t FanotifyWatcher::mask() const {
  // As with inotify, creation, deletion, renames and close-after-write are always needed; FAN_ONDIR asks
  // for them on directories too. One FAN_RENAME names both ends of a rename (Linux 5.17).
  std::uint64_t m = FAN_CREATE | FAN_DELETE | FAN_CLOSE_WRITE | FAN_ONDIR;
  m |= useRename_ ? FAN_RENAME : (FAN_MOVED_FROM | FAN_MOVED_TO);
  if (toggles_.attrib) m |= FAN_ATTRIB;
  if (toggles_.modify) m |= FAN_MODIFY;
  return m;
}

bool FanotifyWatcher::start(std::string* error) {
  fd_ = ::fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME, O_RDONLY | O_LARGEFILE);
  if (fd_ < 0) {
    int err = errno;
    *error = err == EPERM    ? "fanotify needs CAP_SYS_ADMIN, which this process does not have"
             : err == EINVAL ? "the kernel has no FAN_REPORT_DFID_NAME (Linux 5.9 or newer is needed)"
             : err == ENOSYS ? "the kernel is built without fanotify"
             : err == EMFILE ? "too many fanotify groups (fs.fanotify.max_user_groups)"
                             : log::cat("fanotify_init: ", std::strerror(err));
    return false;
  }
  return markRoot(error);
}

bool FanotifyWatcher::markRoot(std::string* error) {
  char* canon = ::realpath(root_.c_str(), nullptr);
  if (!canon) {
    *error = log::cat("cannot watch ", escapeBytes(root_), ": ", std::strerror(errno));
    return false;
  }
  canonRoot_ = canon;
  std::free(canon);
  if (std::string below = firstMountBelow(canonRoot_); !below.empty()) {
    *error = log::cat(escapeBytes(below), " is another file system mounted inside ", escapeBytes(root_),
                      ": a fanotify filesystem mark would not see changes there");
    return false;
  }
  // An open fd on the root itself would keep its inode alive after a removal, and with it the
  // FAN_DELETE_SELF that tells us: take the parent when it is on the same file system.
  if (mountFd_ >= 0) ::close(mountFd_);
  struct stat rootSt {}, parentSt {};
  std::string parent = canonRoot_.substr(0, canonRoot_.rfind('/'));
  if (parent.empty()) parent = "/";
  bool useParent = ::stat(root_.c_str(), &rootSt) == 0 && ::stat(parent.c_str(), &parentSt) == 0 &&
                   rootSt.st_dev == parentSt.st_dev && canonRoot_ != "/";
  mountFd_ = ::open(useParent ? parent.c_str() : root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mountFd_ < 0) {
    *error = log::cat("cannot open ", escapeBytes(root_), ": ", std::strerror(errno));
    return false;
  }
  int rc = ::fanotify_mark(fd_, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask(), AT_FDCWD, root_.c_str());
  if (rc != 0 && errno == EINVAL && useRename_) {
    useRename_ = false;  // before Linux 5.17: the two halves of a rename come apart (docs/watchers.md)
    rc = ::fanotify_mark(fd_, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask(), AT_FDCWD, root_.c_str());
  }
  if (rc != 0) {
    int err = errno;
    *error = log::cat("cannot put a fanotify filesystem mark on ", escapeBytes(root_), ": ",
                      err == ENODEV || err == EOPNOTSUPP ? "its file system cannot report file handles"
                      : err == EXDEV ? "its file system (a btrfs subvolume, overlayfs, ...) does not allow one"
                                     : std::strerror(err));
    return false;
  }
  // The root's own end (removed, moved away) is reported only by a mark on the root itself.
  if (::fanotify_mark(fd_, FAN_MARK_ADD, FAN_DELETE_SELF | FAN_MOVE_SELF | FAN_ONDIR, AT_FDCWD, root_.c_str()) != 0) {
    *error = log::cat("cannot put a fanotify mark on ", escapeBytes(root_), ": ", std::strerror(errno));
    return false;
  }
  struct stat st {};
  if (::stat(root_.c_str(), &st) != 0) st = {};
  rootDev_ = st.st_dev;
  rootIno_ = st.st_ino;
  clearCaches();
  return true;
}

void FanotifyWatcher::clearCaches() {
  // Swapped with empty ones: a hash table keeps its bucket array through clear(), and "= {}" (the
  // initializer-list assignment) is a clear().
  decltype(dirs_)().swap(dirs_);
  decltype(byPath_)().swap(byPath_);
  decltype(outside_)().swap(outside_);
}

bool FanotifyWatcher::skippedRel(const std::string& rel) const {
  if (rel.empty()) return false;
  if (filter_.excluded(rel, true)) return true;
  if (leftOut_.empty()) return false;
  for (std::size_t i = rel.find('/'); ; i = rel.find('/', i + 1)) {
    if (leftOut_.count(i == std::string::npos ? rel : rel.substr(0, i))) return true;
    if (i == std::string::npos) return false;
  }
}

const FanotifyWatcher::Dir* FanotifyWatcher::remember(const std::string& key, const std::string& rel) {
  if (dirs_.size() >= kMaxKnownDirs) {
    dirs_.clear();
    byPath_.clear();
  }
  auto old = byPath_.find(rel);
  if (old != byPath_.end() && old->second != key) dirs_.erase(old->second);
  byPath_[rel] = key;
  Dir& d = dirs_[key];  // new: resolve() found no entry
  d.rel = rel;
  d.skipped = skippedRel(rel);
  return &d;
}

const FanotifyWatcher::Dir* FanotifyWatcher::resolve(file_handle* fh) {
  std::string key = keyOf(fh);
  if (auto it = dirs_.find(key); it != dirs_.end()) return &it->second;
  if (outside_.count(key)) return nullptr;
  // First event of this directory: ask the kernel where it is now. A directory removed already has no
  // path; its own removal is reported by its parent.
  bool in = false;
  std::string rel;
  int dfd = ::open_by_handle_at(mountFd_, fh, O_PATH | O_CLOEXEC);
  if (dfd >= 0) {
    struct stat st;
    if (::fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_nlink > 0) {
      char link[32];
      std::snprintf(link, sizeof link, "/proc/self/fd/%d", dfd);
      char buf[PATH_MAX];
      ssize_t n = ::readlink(link, buf, sizeof buf);
      if (n > 0 && static_cast<std::size_t>(n) < sizeof buf) {
        std::string path(buf, static_cast<std::size_t>(n));
        if (canonRoot_ == "/") {
          in = true;
          rel = path.substr(1);
        } else if (inTree(path, canonRoot_)) {
          in = true;
          rel = path.size() == canonRoot_.size() ? std::string() : path.substr(canonRoot_.size() + 1);
        }
      }
    }
    ::close(dfd);
  }
  if (!in) {
    if (outside_.size() >= kMaxOutsideDirs) outside_.clear();
    outside_.insert(std::move(key));
    return nullptr;
  }
  return remember(key, rel);
}

void FanotifyWatcher::forgetTree(const std::string& rel) {
  for (auto it = byPath_.lower_bound(rel); it != byPath_.end() && inTree(it->first, rel);) {
    dirs_.erase(it->second);
    it = byPath_.erase(it);
  }
  for (auto it = leftOut_.lower_bound(rel); it != leftOut_.end() && inTree(*it, rel);) it = leftOut_.erase(it);
}

void FanotifyWatcher::renameTree(const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, std::string>> moved;
  for (auto it = byPath_.lower_bound(from); it != byPath_.end() && inTree(it->first, from);) {
    moved.emplace_back(to + it->first.substr(from.size()), it->second);
    it = byPath_.erase(it);
  }
  std::vector<std::string> left;
  for (auto it = leftOut_.lower_bound(from); it != leftOut_.end() && inTree(*it, from);) {
    left.push_back(to + it->substr(from.size()));
    it = leftOut_.erase(it);
  }
  leftOut_.insert(left.begin(), left.end());
  for (auto& [rel, key] : moved) {
    // A directory made at the new path before this rename was read may be cached under it already.
    if (auto clash = byPath_.find(rel); clash != byPath_.end()) dirs_.erase(clash->second);
    byPath_[rel] = key;
    Dir& d = dirs_[key];
    d.rel = rel;
    d.skipped = skippedRel(rel);
  }
}

bool FanotifyWatcher::exists(const std::string& rel, bool* isDir) const {
  struct stat st;
  if (::lstat((root_ + "/" + rel).c_str(), &st) != 0) return false;
  if (isDir) *isDir = S_ISDIR(st.st_mode);
  return true;
}

void FanotifyWatcher::reportTree(WatchSink& sink, const std::string& rel) {
  walkTree(root_, rel, filter_, forceStat_, [&](const WalkEntry& e) {
    if (e.excluded) return false;
    bool isDir = e.type == EntryType::Dir;
    if (isDir && !toggles_.createFolder) return false;
    sink.onChange(e.rel, ChangeKind::Update, isDir, true);
    return true;
  });
}

void FanotifyWatcher::gone(WatchSink& sink, const std::string& rel, bool isDir, bool moved) {
  if (isDir) forgetTree(rel);
  if (moved ? toggles_.moveFrom : toggles_.del) sink.onChange(rel, ChangeKind::Delete, isDir, false);
}

void FanotifyWatcher::came(WatchSink& sink, const std::string& rel, bool isDir, bool moved) {
  if (isDir) {
    forgetTree(rel);  // what was cached at this path belonged to an earlier directory
    if (moved) {
      // It and its subdirectories may have had events while they were outside the root.
      outside_.clear();
      if (!toggles_.moveTo) return;
      sink.onChange(rel, ChangeKind::Update, true, true);
      reportTree(sink, rel);  // its contents arrived with it, without events of their own
    } else if (toggles_.createFolder) {
      // No scan: the mark was there before the directory, so every entry made in it has its own event.
      sink.onChange(rel, ChangeKind::Update, true, true);
    } else {
      leftOut_.insert(rel);  // sersync's createFolder="false": new directories are not watched
    }
    return;
  }
  if (moved) {
    if (toggles_.moveTo) sink.onChange(rel, ChangeKind::Update, false, true);
    return;
  }
  // As InotifyWatcher: a regular file is complete when its writer closes it; anything else is complete now.
  struct stat st;
  bool regular = ::lstat((root_ + "/" + rel).c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
  sink.onChange(rel, regular ? ChangeKind::Write : ChangeKind::Update, false, true);
}

void FanotifyWatcher::onName(WatchSink& sink, std::uint64_t mask, file_handle* dirFh, std::string_view name) {
  const Dir* d = resolve(dirFh);
  if (!d || d->skipped || name.empty() || name == ".") return;
  std::string rel = joinRel(d->rel, name);
  const bool isDir = (mask & FAN_ONDIR) != 0;  // the kernel never merges directory and non-directory events
  if (filter_.excludedSelf(rel, isDir)) return;
  // Events of one name still in the queue are merged into one (masks OR-ed), so a create and a delete
  // can arrive as one event whose order is lost: what is there now decides which came last.
  const bool goneBit = (mask & (FAN_DELETE | FAN_MOVED_FROM)) != 0;
  const bool cameBit = (mask & (FAN_CREATE | FAN_MOVED_TO)) != 0;
  const bool movedOut = (mask & FAN_MOVED_FROM) && !(mask & FAN_DELETE);
  if (goneBit || cameBit) {
    const bool there = exists(rel);
    if (goneBit && (!cameBit || there)) gone(sink, rel, isDir, movedOut);
    if (cameBit) came(sink, rel, isDir, (mask & FAN_MOVED_TO) != 0);
    if (goneBit && cameBit && !there) {
      gone(sink, rel, isDir, movedOut);
      return;
    }
    if (goneBit && !cameBit) return;
  }
  if ((mask & FAN_MODIFY) && !isDir) sink.onChange(rel, ChangeKind::Write, false, false);
  if ((mask & FAN_CLOSE_WRITE) && !isDir) sink.onChange(rel, ChangeKind::Settle, false, false);
  if (mask & FAN_ATTRIB) sink.onChange(rel, ChangeKind::Update, isDir, false);
}

void FanotifyWatcher::onRename(WatchSink& sink, file_handle* oldDir, std::string_view oldName, file_handle* newDir,
                               std::string_view newName, bool isDir) {
  // Copies: resolving the second handle may rehash the cache.
  std::optional<Dir> od, nd;
  if (const Dir* d = resolve(oldDir)) od = *d;
  if (const Dir* d = resolve(newDir)) nd = *d;
  if (!od && !nd) {
    // Nothing of ours, unless it was a directory above the root: then the root is somewhere else now.
    if (isDir && !rootInPlace()) loseRoot(nowMs_, "was moved away (it, or a directory above it, was renamed)");
    return;
  }
  const std::string from = od ? joinRel(od->rel, oldName) : std::string();
  const std::string to = nd ? joinRel(nd->rel, newName) : std::string();
  if (isDir) {
    if (od && nd) renameTree(from, to);
    else if (od) forgetTree(from);
  }
  const bool fromIn = od && !od->skipped && !filter_.excludedSelf(from, isDir);
  const bool toIn = nd && !nd->skipped && !filter_.excludedSelf(to, isDir);
  if (fromIn && toIn) {
    if (toggles_.moveFrom && toggles_.moveTo) {
      sink.onMove(from, to, isDir);
    } else if (toggles_.moveTo) {
      sink.onChange(to, ChangeKind::Update, isDir, true);
    } else if (toggles_.moveFrom) {
      sink.onChange(from, ChangeKind::Delete, isDir, false);
    }
    // As InotifyWatcher: a renamed directory's contents are sent under the new name (rsync has no rename).
    if (isDir && toggles_.moveTo) {
      walkTree(root_, to, filter_, forceStat_, [&](const WalkEntry& e) {
        if (e.excluded) return false;
        sink.onChange(e.rel, ChangeKind::Update, e.type == EntryType::Dir, true);
        return true;
      });
    }
  } else if (fromIn) {
    gone(sink, from, isDir, true);  // moved out of the root, or to an excluded name: for the targets it is gone
  } else if (toIn) {
    came(sink, to, isDir, true);
  }
  // A create of the old name queued before this rename was merged into that earlier event and so read
  // before the rename: whatever is at the old name now must not stay "moved away".
  bool nowDir = false;
  if (fromIn && from != to && exists(from, &nowDir)) came(sink, from, nowDir, false);
}

bool FanotifyWatcher::rootInPlace() const {
  struct stat st;
  return ::lstat(root_.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_dev == rootDev_ && st.st_ino == rootIno_;
}

void FanotifyWatcher::loseRoot(std::int64_t nowMs, const char* what) {
  log::error("the watched root ", escapeBytes(root_), " ", what, ": nothing in it is watched or sent until a "
             "directory of that name is there again (checked every ", kRootPollMs, " ms); then it is watched "
             "again and fully synced to every remote");
  metrics::add("roots_lost", 1);
  // The mark on the old root's inode (if it still exists somewhere) reports nothing of ours any more.
  ::fanotify_mark(fd_, FAN_MARK_FLUSH, 0, AT_FDCWD, nullptr);
  clearCaches();
  leftOut_.clear();
  rootLost_ = true;
  rootPollMs_ = nowMs + kRootPollMs;
}

bool FanotifyWatcher::restoreRoot() {
  struct stat st;
  if (::lstat(root_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  std::string err;
  if (!markRoot(&err)) {
    if (!restoreWarned_) {
      log::warn(err, "; trying again every ", kRootPollMs, " ms");
      restoreWarned_ = true;
    }
    return false;
  }
  rootLost_ = false;
  restoreWarned_ = false;
  log::info(escapeBytes(root_), " is there again: watching it (fanotify) and running a full sync of it to every remote");
  return true;
}

void FanotifyWatcher::readEvents(WatchSink& sink, std::int64_t nowMs) {
  nowMs_ = nowMs;
  alignas(fanotify_event_metadata) char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    // An event after one with info records starts 4-byte aligned only, and the metadata holds a u64
    // (UBSan: misaligned access): each header is copied out before it is read.
    for (ssize_t off = 0; off + static_cast<ssize_t>(FAN_EVENT_METADATA_LEN) <= n;) {
      fanotify_event_metadata meta;
      std::memcpy(&meta, buf + off, sizeof meta);
      if (meta.event_len < FAN_EVENT_METADATA_LEN || off + static_cast<ssize_t>(meta.event_len) > n) break;
      const char* event = buf + off;
      off += meta.event_len;
      const fanotify_event_metadata* md = &meta;
      if (md->fd >= 0) ::close(md->fd);  // never with FAN_REPORT_DFID_NAME; closed should one come anyway
      if (md->mask & FAN_Q_OVERFLOW) {
        sink.onOverflow();
        continue;
      }
      if (rootLost_) continue;
      if (md->mask & (FAN_DELETE_SELF | FAN_MOVE_SELF)) {
        // Only the root carries a mark for these. Renamed and back again: still the root we watch.
        if ((md->mask & FAN_MOVE_SELF) && rootInPlace()) continue;
        loseRoot(nowMs, (md->mask & FAN_MOVE_SELF) ? "was moved away" : "was removed");
        continue;
      }
      Record dir, oldDir, newDir;
      const char* p = event + md->metadata_len;
      const char* end = event + md->event_len;
      while (p + sizeof(fanotify_event_info_header) <= end) {
        auto* h = reinterpret_cast<const fanotify_event_info_header*>(p);
        if (h->len < sizeof *h || p + h->len > end) break;
        auto* info = reinterpret_cast<fanotify_event_info_fid*>(const_cast<char*>(p));
        Record r{reinterpret_cast<file_handle*>(info->handle), {}};
        if (h->info_type != FAN_EVENT_INFO_TYPE_DFID)
          r.name = reinterpret_cast<const char*>(r.fh->f_handle + r.fh->handle_bytes);
        if (h->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME || h->info_type == FAN_EVENT_INFO_TYPE_DFID) dir = r;
        else if (h->info_type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME) oldDir = r;
        else if (h->info_type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME) newDir = r;
        p += h->len;
      }
      if (md->mask & FAN_RENAME) {
        if (oldDir.fh && newDir.fh)
          onRename(sink, oldDir.fh, oldDir.name, newDir.fh, newDir.name, (md->mask & FAN_ONDIR) != 0);
        if (rootLost_) continue;
      } else if (dir.fh) {
        onName(sink, md->mask, dir.fh, dir.name);
      }
    }
  }
  tick(sink, nowMs);
}

std::optional<std::int64_t> FanotifyWatcher::nextDeadline() const {
  if (rootLost_) return rootPollMs_;
  return std::nullopt;
}

void FanotifyWatcher::tick(WatchSink& sink, std::int64_t nowMs) {
  if (rootLost_ && rootPollMs_ <= nowMs) {
    rootPollMs_ = nowMs + kRootPollMs;
    if (restoreRoot()) sink.onOverflow(true);
  }
}

void FanotifyWatcher::rescan() {
  // After lost events the cached paths may be stale (a rename not seen): resolve everything afresh.
  clearCaches();
  leftOut_.clear();
}

}  // namespace fsrelay
