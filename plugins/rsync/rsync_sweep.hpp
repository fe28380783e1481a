// rsync's receiver writes each file to ".NAME.XXXXXX" beside it and renames it into place. A receiver
// killed mid-file (its daemon crashed, its server lost power) leaves that temp file behind, and no later
// change run removes it: the target no longer equals the source. So the directories of a run that failed
// are remembered, and once a run to the target succeeds again they are swept: one rsync run that deletes,
// in those directories only, the names shaped like rsync's temp files that the source does not have.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// C++17 on purpose, as rsync_args.hpp.
namespace fsrelay::rsync {

// Above this many directories the sweep covers the whole tree instead (one recursive run).
constexpr std::size_t kMaxSweepDirs = 1000;

class TempSweep {
 public:
  // A change run that failed: payload is its NUL-terminated list of root-relative paths.
  void noteFailedChanges(std::string_view payload);
  // A full sync that failed: it may have been cut off anywhere in the tree.
  void noteFailedFullSync() { wholeTree_ = true; dirs_.clear(); }
  bool pending() const { return wholeTree_ || !dirs_.empty(); }
  bool wholeTree() const { return wholeTree_; }
  std::size_t dirCount() const { return wholeTree_ ? 1 : dirs_.size(); }
  void clear() { wholeTree_ = false; dirs_.clear(); }

  // For --files-from=- --from0: "DIR/." per directory ("." for the root), which makes rsync -d list
  // the directory's entries.
  std::string payload() const;
  // Filter options, in order, ahead of the temp-name include: "--include=/DIR/" for each listed
  // directory (so its entries are not excluded by the closing "*"), or for the whole tree a protect
  // rule plus "--include=*/": extraneous directories on the target are walked past, never deleted.
  std::vector<std::string> rules() const;

 private:
  std::set<std::string> dirs_;  // root-relative, "." for the root
  bool wholeTree_ = false;
};

// rsync's temp names: "." + name + "." + six random characters (the name cut short when too long).
constexpr const char* kTempNamePattern = ".*.??????";

}  // namespace fsrelay::rsync
