// Recursive inotify watching of one root: watches new directories as they appear and pairs renames by cookie.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config/config.hpp"
#include "core/filter/filter.hpp"
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
  std::size_t watchCount() const override { return dirs_.size(); }
  const char* backend() const override { return "inotify"; }

 private:
  struct HeldMove {
    std::string from;
    bool isDir;
    std::int64_t deadlineMs;
  };
  // A watch: the directory's path as last seen, and its inode, which tells whether that path still
  // names the watched directory (inotify hands out the same descriptor again for the same inode).
  struct WatchedDir {
    std::string path;
    dev_t dev = 0;
    ino_t ino = 0;
  };

  // Adds a watch on dirRel; errno-style result (0 on success).
  int addWatch(const std::string& dirRel);
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
  // Drops the path mapping of wd, and the reverse mapping when it still points at wd.
  void unmap(int wd);
  // True when root_/rel is a directory with the inode recorded for d.
  bool stillThere(const std::string& rel, const WatchedDir& d) const;
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
  std::unordered_map<int, WatchedDir> dirs_;
  std::map<std::string, int> pathWd_;  // ordered: a renamed or removed directory's subtree is a range
  std::map<std::uint32_t, HeldMove> held_;
  std::map<std::string, std::uint32_t> heldFrom_;  // held_ by path
  bool limitWarned_ = false;
  bool rootLost_ = false;
  bool restoreWarned_ = false;
  std::int64_t rootPollMs_ = 0;
};

}  // namespace fsrelay
