// Recursive inotify watching of one root: watches new directories as they appear and pairs renames by cookie.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config/config.hpp"
#include "core/filter/filter.hpp"
#include "core/watch/dir_tree.hpp"
#include "core/watch/watcher.hpp"

namespace fsrelay {

class InotifyWatcher final : public Watcher {
 public:
  InotifyWatcher(std::string rootAbs, const Filter& filter, const InotifyToggles& toggles, bool forceStat);
  ~InotifyWatcher() override;

  bool start(std::string* error) override;
  int fd() const override { return fd_; }
  void readEvents(WatchSink& sink, std::int64_t nowMs) override;
  // Also the next check for a root that went away (see loseRoot).
  std::optional<std::int64_t> nextDeadline() const override;
  void tick(WatchSink& sink, std::int64_t nowMs) override;
  void rescan() override;
  std::size_t watchCount() const override { return tree_.watchCount(); }
  const char* backend() const override { return "inotify"; }
  std::vector<std::string> unwatched(std::size_t max) const override;
  std::size_t unwatchedCount() const override { return unwatched_.size(); }
  // <watchLimit action="scan">: a directory that cannot be watched because fs.inotify.max_user_watches is
  // reached is scanned every scanSeconds instead of stopping the daemon (start) or being left unwatched.
  void setWatchLimit(bool scan, int scanSeconds) override;

 private:
  struct HeldMove {
    std::string from;
    bool isDir;
    std::int64_t deadlineMs;
  };

  // What a scan of an unwatched directory remembers of each entry below it.
  struct Stamp {
    std::int64_t ctimeNs;
    std::int64_t mtimeNs;
    std::int64_t size;
    bool isDir;
  };
  using Listing = std::unordered_map<std::string, Stamp>;

  // Adds a watch on dirRel; errno-style result (0 on success).
  int addWatch(const std::string& dirRel);
  // addWatch, and on ENOSPC with <watchLimit action="scan"> covers dirRel by scans (reporting what is in
  // it through sink when given, as watchTree does); logs the limit once either way.
  int watchOrCover(const std::string& dirRel, WatchSink* sink) { return coverIfFull(addWatch(dirRel), dirRel, sink); }
  int coverIfFull(int rc, const std::string& dirRel, WatchSink* sink);
  bool underUnwatched(const std::string& rel) const;
  Listing snapshot(const std::string& top) const;
  void scanUnwatched(WatchSink& sink);
  // Drops the unwatched entries at or below dirRel (removed), or renames them (from, to).
  void dropUnwatched(const std::string& dirRel);
  void renameUnwatched(const std::string& from, const std::string& to);
  // Watches dirRel and everything below it; with sink, reports every entry found as a born Update
  // (what was created before the watch landed would otherwise be missed).
  void watchTree(const std::string& dirRel, WatchSink* sink);
  void forgetTree(const std::string& dirRel);
  // forgetTree for a directory moved out of the root, keeping the watches of directories that are
  // back in the tree at the same path.
  void forgetMovedOut(const std::string& dirRel);
  void renameTree(const std::string& from, const std::string& to);
  void hold(std::uint32_t cookie, HeldMove move);
  void releaseMove(WatchSink& sink, std::uint32_t cookie);
  // Releases a held move-from of rel before something new appears at rel (see readEvents).
  void releaseHeldAt(WatchSink& sink, const std::string& rel, std::uint32_t cookie);
  // Forgets wd (its IN_IGNORED came).
  void unmap(int wd);
  // True when root_/rel is a directory with the inode recorded for d.
  bool stillThere(const std::string& rel, const DirTree::Info& d) const;
  void loseRoot(std::int64_t nowMs, const char* what);
  bool restoreRoot();
  std::uint32_t mask() const;
  std::string limitMessage(const std::string& dirRel) const;

  std::string root_;
  const Filter& filter_;
  InotifyToggles toggles_;
  bool forceStat_;
  int fd_ = -1;
  int rootWd_ = -1;
  // Every watched directory: its path, wd and inode, which tells whether that path still names the
  // watched directory (inotify hands out the same descriptor again for the same inode).
  DirTree tree_;
  std::map<std::uint32_t, HeldMove> held_;
  std::map<std::string, std::uint32_t> heldFrom_;  // held_ by path
  bool limitWarned_ = false;
  bool scanUnwatched_ = false;
  std::int64_t scanEveryMs_ = 60000;
  std::int64_t nextScanMs_ = 0;  // 0: not scheduled yet (the first readEvents or tick sets it)
  // The directories that could not be watched (each with everything below it), and their last listing.
  // Ordered: a removed or renamed directory's unwatched descendants are a range.
  std::map<std::string, Listing> unwatched_;
  bool rootLost_ = false;
  bool restoreWarned_ = false;
  std::int64_t rootPollMs_ = 0;
};

}  // namespace fsrelay
