// The watched directories of one root as a compact tree: each name stored once, paths built on demand.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/watch/node_index.hpp"

namespace fsrelay {

// One node per directory path, with its watch descriptor and inode. A path is its parent's path plus
// its name, so a directory costs its name once instead of a whole path per map (two per directory
// before): a 36-byte node plus its name and two 4-byte index slots, where std::map + unordered_map of paths cost
// several hundred on deep trees. Renaming a subtree is one node relinked. Not thread-safe.
class DirTree {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  struct Info {
    int wd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
  };

  DirTree();

  // The node at rel ("" is the root), or kNone.
  std::uint32_t find(std::string_view rel) const;
  // The node at rel, created with its missing ancestors (which carry no watch) when absent.
  std::uint32_t ensure(std::string_view rel);
  std::string path(std::uint32_t node) const;
  // Appends rel's path joined with name to out (out cleared first).
  void joinPath(std::uint32_t node, std::string_view name, std::string& out) const;

  Info info(std::uint32_t node) const;
  // Records node's watch. A descriptor the node had before (a directory replaced at the same path) no
  // longer maps to it: its events would name the new directory. A node that had info.wd before (the same
  // inode found under a new path) loses it.
  void setInfo(std::uint32_t node, const Info& info);
  // The node watched through wd, or kNone.
  std::uint32_t nodeOfWd(int wd) const;
  // Drops node's watch (not the kernel's: the caller does that); prunes the node when nothing is left
  // of it (no watch, no children). Returns false when it was pruned.
  bool clearWatch(std::uint32_t node);

  // Calls f(node) for node and every node below it, parents before children. f must not change the tree.
  template <class F>
  void forEachIn(std::uint32_t node, F&& f) const {
    if (node == kNone) return;
    std::vector<std::uint32_t> stack{node};
    while (!stack.empty()) {
      std::uint32_t n = stack.back();
      stack.pop_back();
      f(n);
      for (std::uint32_t c = nodes_[n].firstChild; c != kNone; c = nodes_[c].next) stack.push_back(c);
    }
  }
  // Moves the subtree at from to to; what was at to is dropped (a rename replaces only an empty
  // directory). Returns false when from is not in the tree.
  bool move(std::string_view from, std::string_view to);
  // Removes node's subtree, and its ancestors left with nothing.
  void erase(std::uint32_t node);
  void clear();

  std::size_t watchCount() const { return watched_; }
  // After the initial walk: the vectors' spare capacity (up to half of them after the last doubling) is
  // most of what a big tree wastes.
  void shrinkToFit();
  // Bytes held (capacity, not size): what the benchmark's bytes-per-directory figure is made of.
  std::size_t bytes() const;

 private:
  // 36 bytes, 4-byte aligned: the inode is split and the device is an index into devs_ (a root spans one
  // file system, or a few with mounts below it), where Info's dev_t and ino_t would make it 48.
  struct Node {
    std::uint32_t parent = kNone;
    std::uint32_t firstChild = kNone;
    std::uint32_t next = kNone;  // siblings, doubly linked so a node unlinks in O(1)
    std::uint32_t prev = kNone;
    std::uint32_t nameOff = 0;
    std::uint32_t inoLo = 0;
    std::uint32_t inoHi = 0;
    std::int32_t wd = -1;
    std::uint16_t dev = 0;     // index into devs_
    std::uint8_t nameLen = 0;  // NAME_MAX is 255
    bool indexed : 1 = false;  // in byName_, so reachable by path
    bool used : 1 = false;     // false on the free list
  };
  static_assert(sizeof(Node) == 36);

  std::string_view nameOf(const Node& n) const { return {names_.data() + n.nameOff, n.nameLen}; }
  std::uint32_t child(std::uint32_t parent, std::string_view name) const;
  std::uint32_t addChild(std::uint32_t parent, std::string_view name);
  void link(std::uint32_t node, std::uint32_t parent);
  void unlink(std::uint32_t node);
  void release(std::uint32_t node);
  // Removes node and its childless, unwatched ancestors.
  void prune(std::uint32_t node);
  std::uint32_t storeName(std::string_view name);
  std::uint16_t devIndex(dev_t dev);
  void compactNames();

  std::size_t nameHash(std::uint32_t parent, std::string_view name) const;
  std::size_t nameHashOf(std::uint32_t node) const { return nameHash(nodes_[node].parent, nameOf(nodes_[node])); }
  static std::size_t wdHash(int wd) { return static_cast<std::size_t>(wd) * 0x9E3779B97F4A7C15ull >> 20; }

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> free_;
  std::vector<char> names_;
  std::vector<dev_t> devs_{0};  // index 0: no device recorded yet
  std::size_t deadNameBytes_ = 0;
  NodeIndex byName_;  // (parent, name) -> node, for the nodes reachable by path
  // wd -> node. Not a vector indexed by wd: the kernel hands descriptors out cyclically up to INT_MAX, so
  // a long-running daemon in a tree where directories come and go would grow it without bound.
  NodeIndex byWd_;
  std::size_t watched_ = 0;
};

}  // namespace fsrelay
