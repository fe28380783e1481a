// Directory walking with d_type, falling back to lstat where the file system does not fill it in.
#include "core/watch/tree_walk.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <vector>

namespace fsrelay {

std::string joinRel(std::string_view dir, std::string_view name) {
  std::string out;
  out.reserve(dir.size() + name.size() + 1);
  out.append(dir);
  if (!dir.empty()) out.push_back('/');
  out.append(name);
  return out;
}

namespace {

EntryType typeOf(const std::string& abs, unsigned char dtype, bool forceStat) {
  if (!forceStat && dtype != DT_UNKNOWN) {
    if (dtype == DT_DIR) return EntryType::Dir;
    if (dtype == DT_REG) return EntryType::File;
    if (dtype == DT_LNK) return EntryType::Symlink;
    return EntryType::Other;
  }
  struct stat st;
  if (::lstat(abs.c_str(), &st) != 0) return EntryType::Other;
  if (S_ISDIR(st.st_mode)) return EntryType::Dir;
  if (S_ISREG(st.st_mode)) return EntryType::File;
  if (S_ISLNK(st.st_mode)) return EntryType::Symlink;
  return EntryType::Other;
}

}  // namespace

void walkTree(const std::string& rootAbs, const std::string& startRel, const Filter& filter, bool forceStat,
              const std::function<bool(const WalkEntry&)>& visit) {
  // Iterative, so a deep tree cannot overflow the stack.
  std::vector<std::string> stack{startRel};
  while (!stack.empty()) {
    std::string dirRel = std::move(stack.back());
    stack.pop_back();
    std::string dirAbs = dirRel.empty() ? rootAbs : rootAbs + "/" + dirRel;
    DIR* d = ::opendir(dirAbs.c_str());
    if (!d) continue;  // vanished or unreadable: its events or the next full sync tell the rest
    while (dirent* e = ::readdir(d)) {
      std::string_view name(e->d_name);
      if (name == "." || name == "..") continue;
      std::string rel = joinRel(dirRel, name);
      EntryType type = typeOf(dirAbs + "/" + e->d_name, e->d_type, forceStat);
      bool isDir = type == EntryType::Dir;
      bool excluded = filter.excludedSelf(rel, isDir);
      bool descend = visit(WalkEntry{rel, type, excluded});
      if (isDir && descend && !excluded) stack.push_back(std::move(rel));
    }
    ::closedir(d);
  }
}

}  // namespace fsrelay
