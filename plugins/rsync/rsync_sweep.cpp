#include "rsync_sweep.hpp"

#include "rsync_args.hpp"

namespace fsrelay::rsync {

namespace {

// "a/b/c" -> "a/b"; "c" and "." -> ".". Paths come from buildChangeList, already normalised.
std::string parentOf(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return ".";
  return std::string(path.substr(0, slash));
}

}  // namespace

void TempSweep::noteFailedChanges(std::string_view payload) {
  if (wholeTree_) return;
  while (!payload.empty()) {
    const std::size_t end = payload.find('\0');
    const std::string_view path = payload.substr(0, end);
    payload.remove_prefix(end == std::string_view::npos ? payload.size() : end + 1);
    if (path.empty()) continue;
    dirs_.insert(parentOf(path));
    if (dirs_.size() > kMaxSweepDirs) {
      noteFailedFullSync();
      return;
    }
  }
}

std::string TempSweep::payload() const {
  if (wholeTree_) return std::string(".") + '\0';
  std::string out;
  for (const std::string& dir : dirs_) {
    out += dir == "." ? std::string(".") : dir + "/.";
    out.push_back('\0');
  }
  return out;
}

std::vector<std::string> TempSweep::rules() const {
  if (wholeTree_) return {"--filter=P */", "--include=*/"};
  std::vector<std::string> out;
  for (const std::string& dir : dirs_) {
    if (dir != ".") out.push_back("--include=/" + escapeFilterLiteral(dir) + "/");
  }
  return out;
}

}  // namespace fsrelay::rsync
