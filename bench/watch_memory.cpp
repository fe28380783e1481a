// Heap bytes per watched directory: the watcher's old path maps against DirTree, on bigtree.py's tree shape.
// Usage: fsrelay_watch_memory [DIRS [DEPTH]]   (default 200000 3)
#include <malloc.h>
#include <sys/types.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/watch/dir_tree.hpp"

namespace {

// The same breadth-first shape as bench/bigtree.py's make_tree.
std::vector<std::string> treePaths(std::size_t dirs, int depth) {
  std::size_t fan = 2;
  for (;;) {
    std::size_t total = 0, level = 1;
    for (int i = 0; i < depth; ++i) total += level *= fan;
    if (total >= dirs) break;
    ++fan;
  }
  std::vector<std::string> out;
  std::vector<std::string> frontier{""};
  while (out.size() < dirs && !frontier.empty()) {
    std::vector<std::string> next;
    for (const auto& parent : frontier)
      for (std::size_t i = 0; i < fan && out.size() < dirs; ++i) {
        out.push_back(parent.empty() ? "d" + std::to_string(i) : parent + "/d" + std::to_string(i));
        next.push_back(out.back());
      }
    frontier.swap(next);
  }
  return out;
}

std::size_t heapInUse() { return mallinfo2().uordblks + mallinfo2().hblkhd; }

// What core/watch/inotify_watcher.hpp held per directory before DirTree.
struct WatchedDir {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t dirs = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  int depth = argc > 2 ? std::atoi(argv[2]) : 3;
  auto paths = treePaths(dirs, depth);
  std::size_t pathBytes = 0;
  for (auto& p : paths) pathBytes += p.size();

  std::size_t before = heapInUse();
  {
    std::unordered_map<int, WatchedDir> byWd;
    std::map<std::string, int> pathWd;
    int wd = 1;
    for (auto& p : paths) {
      byWd[wd] = WatchedDir{p, 1, static_cast<ino_t>(wd)};
      pathWd[p] = wd;
      ++wd;
    }
    std::size_t used = heapInUse() - before;
    std::printf("maps of paths: %zu dirs, %.1f bytes/dir (paths average %.1f bytes)\n", paths.size(),
                static_cast<double>(used) / static_cast<double>(paths.size()),
                static_cast<double>(pathBytes) / static_cast<double>(paths.size()));
  }
  before = heapInUse();
  {
    fsrelay::DirTree tree;
    int wd = 1;
    for (auto& p : paths) {
      tree.setInfo(tree.ensure(p), fsrelay::DirTree::Info{wd, 1, static_cast<ino_t>(wd)});
      ++wd;
    }
    std::size_t used = heapInUse() - before;
    std::printf("DirTree:       %zu dirs, %.1f bytes/dir (DirTree::bytes() %.1f, capacity included)\n", paths.size(),
                static_cast<double>(used) / static_cast<double>(paths.size()),
                static_cast<double>(tree.bytes()) / static_cast<double>(paths.size()));
  }
  return 0;
}
