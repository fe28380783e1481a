// Recursive directory walk relative to a root, honouring the exclude filter; shared by the watcher and full syncs.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/filter/filter.hpp"

namespace fsrelay {

enum class EntryType { File, Dir, Symlink, Other };

struct WalkEntry {
  std::string_view rel;  // relative to the root
  EntryType type;
  bool excluded;         // excluded by the filter (its subtree is not walked)
};

// Calls visit for every entry below rootAbs + "/" + startRel (startRel "" for the root itself; the start
// directory is not reported). visit returns false to skip descending into a directory. forceStat: use
// lstat even when readdir gives d_type (sersync's <fileSystem xfs>); lstat is also used for DT_UNKNOWN.
void walkTree(const std::string& rootAbs, const std::string& startRel, const Filter& filter, bool forceStat,
              const std::function<bool(const WalkEntry&)>& visit);

std::string joinRel(std::string_view dir, std::string_view name);

}  // namespace fsrelay
