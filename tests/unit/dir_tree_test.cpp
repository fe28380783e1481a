// Tests of DirTree (the watcher's compact directory tree) against a naive map of paths.
#include "core/watch/dir_tree.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace fsrelay {
namespace {

DirTree::Info watch(int wd) { return DirTree::Info{wd, 1, static_cast<ino_t>(1000 + wd)}; }

TEST(DirTree, paths_are_built_from_names_stored_once) {
  DirTree t;
  auto n = t.ensure("a/b/c");
  EXPECT_EQ(t.path(n), "a/b/c");
  EXPECT_EQ(t.find("a/b"), t.find("a/b"));
  EXPECT_NE(t.find("a/b"), DirTree::kNone);
  EXPECT_EQ(t.find("a/x"), DirTree::kNone);
  EXPECT_EQ(t.find(""), 0u);
  std::string out;
  t.joinPath(n, "file", out);
  EXPECT_EQ(out, "a/b/c/file");
  t.joinPath(0, "top", out);
  EXPECT_EQ(out, "top");
}

TEST(DirTree, wd_maps_to_its_node_and_a_replaced_wd_is_forgotten) {
  DirTree t;
  auto n = t.ensure("d");
  t.setInfo(n, watch(5));
  EXPECT_EQ(t.nodeOfWd(5), n);
  EXPECT_EQ(t.watchCount(), 1u);
  t.setInfo(n, watch(9));  // the directory was replaced: its old descriptor names nothing now
  EXPECT_EQ(t.nodeOfWd(5), DirTree::kNone);
  EXPECT_EQ(t.nodeOfWd(9), n);
  EXPECT_EQ(t.watchCount(), 1u);
}

TEST(DirTree, same_wd_under_a_new_path_moves_there) {
  DirTree t;
  auto a = t.ensure("a");
  t.setInfo(a, watch(3));
  auto b = t.ensure("b");
  t.setInfo(b, watch(3));
  EXPECT_EQ(t.nodeOfWd(3), b);
  EXPECT_EQ(t.find("a"), DirTree::kNone);  // nothing left of it: pruned
  EXPECT_EQ(t.watchCount(), 1u);
}

TEST(DirTree, move_relinks_the_subtree) {
  DirTree t;
  t.setInfo(t.ensure("a"), watch(1));
  t.setInfo(t.ensure("a/b"), watch(2));
  t.setInfo(t.ensure("a/b/c"), watch(3));
  ASSERT_TRUE(t.move("a/b", "x/y"));
  EXPECT_EQ(t.path(t.nodeOfWd(3)), "x/y/c");
  EXPECT_EQ(t.path(t.nodeOfWd(2)), "x/y");
  EXPECT_EQ(t.find("a/b"), DirTree::kNone);
  EXPECT_EQ(t.path(t.nodeOfWd(1)), "a");
  EXPECT_FALSE(t.move("nope", "z"));
}

TEST(DirTree, erase_removes_the_subtree_and_empty_unwatched_parents) {
  DirTree t;
  t.setInfo(t.ensure("p/q/r"), watch(7));
  t.setInfo(t.ensure("p/s"), watch(8));
  t.erase(t.find("p/q"));
  EXPECT_EQ(t.nodeOfWd(7), DirTree::kNone);
  EXPECT_EQ(t.find("p/q"), DirTree::kNone);
  EXPECT_NE(t.find("p"), DirTree::kNone);  // still has p/s
  t.erase(t.find("p/s"));
  EXPECT_EQ(t.find("p"), DirTree::kNone);  // unwatched and empty: pruned
  EXPECT_EQ(t.watchCount(), 0u);
}

// Random operations against a map of path -> wd; the tree must agree on every path and wd.
TEST(DirTree, agrees_with_a_map_of_paths_under_random_operations) {
  std::mt19937 rng(42);
  DirTree t;
  std::map<std::string, int> ref;
  const char* names[] = {"a", "b", "c", "dd", "\xff\xfe"};
  auto randomPath = [&] {
    std::string p;
    int depth = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < depth; ++i) p += (i ? "/" : "") + std::string(names[rng() % 5]);
    return p;
  };
  auto under = [](const std::string& p, const std::string& top) {
    return p == top || (p.size() > top.size() && p.compare(0, top.size(), top) == 0 && p[top.size()] == '/');
  };
  int nextWd = 1;
  for (int step = 0; step < 20000; ++step) {
    std::string p = randomPath();
    switch (rng() % 3) {
      case 0: {
        int wd = nextWd++;
        t.setInfo(t.ensure(p), watch(wd));
        ref[p] = wd;
        break;
      }
      case 1: {
        t.erase(t.find(p));
        for (auto it = ref.begin(); it != ref.end();) it = under(it->first, p) ? ref.erase(it) : std::next(it);
        break;
      }
      case 2: {
        std::string to = randomPath();
        if (under(to, p) || under(p, to)) break;
        bool moved = t.move(p, to);
        std::map<std::string, int> next;
        for (auto& [path, wd] : ref)
          if (!under(path, to)) next[path] = wd;
        for (auto& [path, wd] : ref)
          if (under(path, p)) next.erase(path), next[to + path.substr(p.size())] = wd;
        if (moved) ref.swap(next);
        break;
      }
    }
    ASSERT_EQ(t.watchCount(), ref.size()) << "step " << step;
  }
  for (auto& [path, wd] : ref) {
    auto n = t.nodeOfWd(wd);
    ASSERT_NE(n, DirTree::kNone) << path;
    EXPECT_EQ(t.path(n), path);
    EXPECT_EQ(t.find(path), n);
  }
}

}  // namespace
}  // namespace fsrelay
