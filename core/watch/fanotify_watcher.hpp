// fanotify watching of one root: one filesystem mark, events resolved from directory handles to paths.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/config/config.hpp"
#include "core/filter/filter.hpp"
#include "core/watch/watcher.hpp"

struct file_handle;

namespace fsrelay {

// Same WatchSink semantics as InotifyWatcher (see docs/watchers.md): what differs is how events arrive.
// The mark covers the root's whole file system, so there is no per-directory watch, no watch limit and
// no race with new directories; an event names its directory by file handle, resolved lazily to a path
// and cached. Events of directories outside the root cost one hash lookup after their first.
class FanotifyWatcher final : public Watcher {
 public:
  // useRename false: pair nothing, as on kernels before 5.17 (no FAN_RENAME); tests use it.
  FanotifyWatcher(std::string rootAbs, const Filter& filter, const InotifyToggles& toggles, bool forceStat,
                  bool useRename = true);
  ~FanotifyWatcher() override;

  // Why fanotify cannot watch rootAbs ("" when it can): tries the real thing, then lets go.
  static std::string unavailableReason(const std::string& rootAbs);

  bool start(std::string* error) override;
  int fd() const override { return fd_; }
  void readEvents(WatchSink& sink, std::int64_t nowMs) override;
  std::optional<std::int64_t> nextDeadline() const override;
  void tick(WatchSink& sink, std::int64_t nowMs) override;
  void rescan() override;
  // No watch is held per directory: 0. (knownDirs() says how many directory handles are resolved.)
  std::size_t watchCount() const override { return 0; }
  const char* backend() const override { return "fanotify"; }
  // The directory cache holds ~300 bytes per directory an event named; 100,000 of them after a wide burst.
  void releaseBurstMemory() override { clearCaches(); }
  std::size_t cachedDirs() const { return dirs_.size(); }
  std::size_t knownDirs() const { return dirs_.size(); }
  bool pairsRenames() const { return useRename_; }

 private:
  struct Dir {
    std::string rel;
    bool skipped = false;  // excluded by the filter, or below a directory that createFolder="false" left out
  };

  // The directory a handle names, when it is under the root; nullptr otherwise (cached either way).
  const Dir* resolve(file_handle* fh);
  const Dir* remember(const std::string& key, const std::string& rel);
  bool skippedRel(const std::string& rel) const;
  void forgetTree(const std::string& rel);
  void renameTree(const std::string& from, const std::string& to);
  void clearCaches();
  bool exists(const std::string& rel, bool* isDir = nullptr) const;
  void gone(WatchSink& sink, const std::string& rel, bool isDir, bool moved);
  void came(WatchSink& sink, const std::string& rel, bool isDir, bool moved);
  void reportTree(WatchSink& sink, const std::string& rel);
  void onRename(WatchSink& sink, file_handle* oldDir, std::string_view oldName, file_handle* newDir,
                std::string_view newName, bool isDir);
  void onName(WatchSink& sink, std::uint64_t mask, file_handle* dir, std::string_view name);
  bool markRoot(std::string* error);
  // The root is still the directory we started on (a rename above it moves it away silently).
  bool rootInPlace() const;
  void loseRoot(std::int64_t nowMs, const char* what);
  bool restoreRoot();
  std::uint64_t mask() const;

  std::string root_;
  std::string canonRoot_;  // root_ with symlinks resolved: what /proc/self/fd/N shows
  const Filter& filter_;
  InotifyToggles toggles_;
  bool forceStat_;
  bool useRename_;
  int fd_ = -1;
  int mountFd_ = -1;  // any open directory of the file system: open_by_handle_at needs one
  dev_t rootDev_ = 0;
  ino_t rootIno_ = 0;
  std::unordered_map<std::string, Dir> dirs_;  // handle → directory under the root
  std::map<std::string, std::string> byPath_;   // rel → handle; ordered: a renamed subtree is a range
  std::unordered_set<std::string> outside_;     // handles of directories not under the root
  std::set<std::string> leftOut_;               // directories created while createFolder="false"
  bool rootLost_ = false;
  bool restoreWarned_ = false;
  std::int64_t rootPollMs_ = 0;
  std::int64_t nowMs_ = 0;  // of the readEvents() call under way
};

}  // namespace fsrelay
