// Recursive inotify watching of one root: watches new directories as they appear and pairs renames by cookie.
#pragma once

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
  std::optional<std::int64_t> nextDeadline() const override;
  void tick(WatchSink& sink, std::int64_t nowMs) override;
  void rescan() override;
  std::size_t watchCount() const override { return wdPath_.size(); }

 private:
  struct HeldMove {
    std::string from;
    bool isDir;
    std::int64_t deadlineMs;
  };

  // Adds a watch on dirRel; errno-style result (0 on success).
  int addWatch(const std::string& dirRel);
  // Watches dirRel and everything below it; with sink, reports every entry found as a born Update
  // (what was created before the watch landed would otherwise be missed).
  void watchTree(const std::string& dirRel, WatchSink* sink);
  void forgetTree(const std::string& dirRel);
  void renameTree(const std::string& from, const std::string& to);
  void releaseMove(WatchSink& sink, std::uint32_t cookie);
  std::uint32_t mask() const;
  std::string limitMessage(const std::string& dirRel) const;

  std::string root_;
  const Filter& filter_;
  InotifyToggles toggles_;
  bool forceStat_;
  int fd_ = -1;
  std::unordered_map<int, std::string> wdPath_;
  std::map<std::string, int> pathWd_;  // ordered: a renamed or removed directory's subtree is a range
  std::map<std::uint32_t, HeldMove> held_;
  bool limitWarned_ = false;
};

}  // namespace fsrelay
