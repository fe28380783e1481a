// DirTree: nodes in one vector (free list for reuse), names in one arena, two open-addressing indexes.
#include "core/watch/dir_tree.hpp"

#include <cassert>
#include <functional>

namespace fsrelay {
namespace {

// Splits rel at its first '/': the component, and the rest ("" at the end).
std::pair<std::string_view, std::string_view> head(std::string_view rel) {
  auto slash = rel.find('/');
  if (slash == std::string_view::npos) return {rel, {}};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

}  // namespace

DirTree::DirTree() { clear(); }

void DirTree::clear() {
  std::vector<Node>().swap(nodes_);
  std::vector<std::uint32_t>().swap(free_);
  std::vector<char>().swap(names_);
  deadNameBytes_ = 0;
  byName_.clear();
  byWd_.clear();
  watched_ = 0;
  Node root;
  root.used = true;
  nodes_.push_back(root);  // node 0, the root: never indexed, never pruned
}

std::size_t DirTree::nameHash(std::uint32_t parent, std::string_view name) const {
  return std::hash<std::string_view>{}(name) ^ (static_cast<std::size_t>(parent) * 0x9E3779B97F4A7C15ull);
}

std::uint32_t DirTree::child(std::uint32_t parent, std::string_view name) const {
  return byName_.find(nameHash(parent, name), [&](std::uint32_t n) {
    return nodes_[n].parent == parent && nameOf(nodes_[n]) == name;
  });
}

std::uint32_t DirTree::find(std::string_view rel) const {
  std::uint32_t n = 0;
  while (!rel.empty() && n != kNone) {
    auto [name, rest] = head(rel);
    n = child(n, name);
    rel = rest;
  }
  return n;
}

std::uint32_t DirTree::ensure(std::string_view rel) {
  std::uint32_t n = 0;
  while (!rel.empty()) {
    auto [name, rest] = head(rel);
    std::uint32_t c = child(n, name);
    n = c != kNone ? c : addChild(n, name);
    rel = rest;
  }
  return n;
}

std::uint32_t DirTree::storeName(std::string_view name) {
  if (deadNameBytes_ > 65536 && deadNameBytes_ * 2 > names_.size()) compactNames();
  auto off = static_cast<std::uint32_t>(names_.size());
  names_.insert(names_.end(), name.begin(), name.end());
  return off;
}

void DirTree::compactNames() {
  // Names of removed and renamed nodes stay in the arena until they are half of it.
  std::vector<char> fresh;
  fresh.reserve(names_.size() - deadNameBytes_);
  for (auto& n : nodes_) {
    if (!n.used || n.nameLen == 0) continue;
    auto off = static_cast<std::uint32_t>(fresh.size());
    fresh.insert(fresh.end(), names_.begin() + n.nameOff, names_.begin() + n.nameOff + n.nameLen);
    n.nameOff = off;
  }
  names_.swap(fresh);
  deadNameBytes_ = 0;
}

std::uint32_t DirTree::addChild(std::uint32_t parent, std::string_view name) {
  assert(!name.empty() && name.size() <= 255);
  std::uint32_t n;
  if (!free_.empty()) {
    n = free_.back();
    free_.pop_back();
    nodes_[n] = Node{};
  } else {
    n = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  Node& node = nodes_[n];
  node.used = true;
  node.nameOff = storeName(name);
  node.nameLen = static_cast<std::uint8_t>(name.size());
  link(n, parent);
  return n;
}

void DirTree::link(std::uint32_t n, std::uint32_t parent) {
  Node& node = nodes_[n];
  node.parent = parent;
  node.prev = kNone;
  node.next = nodes_[parent].firstChild;
  if (node.next != kNone) nodes_[node.next].prev = n;
  nodes_[parent].firstChild = n;
  node.indexed = true;
  byName_.insert(n, nameHashOf(n), [this](std::uint32_t v) { return nameHashOf(v); });
}

void DirTree::unlink(std::uint32_t n) {
  Node& node = nodes_[n];
  if (!node.indexed) return;
  byName_.erase(n, nameHashOf(n));
  node.indexed = false;
  if (node.prev != kNone)
    nodes_[node.prev].next = node.next;
  else
    nodes_[node.parent].firstChild = node.next;
  if (node.next != kNone) nodes_[node.next].prev = node.prev;
  node.prev = node.next = kNone;
}

void DirTree::release(std::uint32_t n) {
  unlink(n);
  Node& node = nodes_[n];
  if (node.wd >= 0) {
    byWd_.erase(n, wdHash(node.wd));
    --watched_;
  }
  deadNameBytes_ += node.nameLen;
  node = Node{};
  free_.push_back(n);
}

void DirTree::prune(std::uint32_t n) {
  while (n != 0 && n != kNone && nodes_[n].wd < 0 && nodes_[n].firstChild == kNone) {
    std::uint32_t parent = nodes_[n].parent;
    release(n);
    n = parent;
  }
}

std::string DirTree::path(std::uint32_t n) const {
  std::string out;
  joinPath(n, {}, out);
  return out;
}

void DirTree::joinPath(std::uint32_t n, std::string_view name, std::string& out) const {
  // Sizes first, then the names written back to front: one allocation per path.
  std::size_t len = name.size();
  for (std::uint32_t i = n; i != 0; i = nodes_[i].parent) len += nodes_[i].nameLen + 1;
  if (name.empty() && len > 0) --len;  // no trailing '/'
  out.assign(len, '/');
  std::size_t end = len;
  if (!name.empty()) {
    end -= name.size();
    out.replace(end, name.size(), name);
    if (end > 0) --end;
  }
  for (std::uint32_t i = n; i != 0; i = nodes_[i].parent) {
    std::string_view part = nameOf(nodes_[i]);
    end -= part.size();
    out.replace(end, part.size(), part);
    if (end > 0) --end;
  }
}

std::uint32_t DirTree::nodeOfWd(int wd) const {
  return byWd_.find(wdHash(wd), [&](std::uint32_t n) { return nodes_[n].wd == wd; });
}

void DirTree::setInfo(std::uint32_t n, const Info& info) {
  Node& node = nodes_[n];
  if (node.wd != info.wd) {
    std::uint32_t other = info.wd >= 0 ? nodeOfWd(info.wd) : kNone;
    if (other != kNone) clearWatch(other);  // may prune other, never n (n is not watched through info.wd)
    if (node.wd >= 0) {
      byWd_.erase(n, wdHash(node.wd));
      --watched_;
    }
    node.wd = info.wd;
    if (info.wd >= 0) {
      byWd_.insert(n, wdHash(info.wd), [this](std::uint32_t v) { return wdHash(nodes_[v].wd); });
      ++watched_;
    }
  }
  nodes_[n].dev = devIndex(info.dev);
  nodes_[n].inoLo = static_cast<std::uint32_t>(info.ino);
  nodes_[n].inoHi = static_cast<std::uint32_t>(static_cast<std::uint64_t>(info.ino) >> 32);
}

bool DirTree::clearWatch(std::uint32_t n) {
  Node& node = nodes_[n];
  if (node.wd >= 0) {
    byWd_.erase(n, wdHash(node.wd));
    --watched_;
    node.wd = -1;
  }
  if (n == 0 || node.firstChild != kNone) return true;
  prune(n);
  return false;
}

bool DirTree::move(std::string_view from, std::string_view to) {
  std::uint32_t n = find(from);
  if (n == kNone || n == 0 || to.empty()) return false;
  std::uint32_t old = find(to);
  if (old == n) return true;
  if (old != kNone) erase(old);  // a rename replaces only an empty directory: what is left here is stale
  auto slash = to.rfind('/');
  std::string_view name = slash == std::string_view::npos ? to : to.substr(slash + 1);
  std::string_view parentRel = slash == std::string_view::npos ? std::string_view{} : to.substr(0, slash);
  std::uint32_t oldParent = nodes_[n].parent;
  unlink(n);
  std::uint32_t parent = ensure(parentRel);  // after unlink: to may lie below from's old place, never below n
  deadNameBytes_ += nodes_[n].nameLen;
  nodes_[n].nameOff = storeName(name);
  nodes_[n].nameLen = static_cast<std::uint8_t>(name.size());
  link(n, parent);
  prune(oldParent);
  return true;
}

void DirTree::erase(std::uint32_t n) {
  if (n == kNone) return;
  std::vector<std::uint32_t> all;
  forEachIn(n, [&](std::uint32_t i) { all.push_back(i); });
  std::uint32_t parent = nodes_[n].parent;
  if (n == 0) {
    clear();
    return;
  }
  for (auto it = all.rbegin(); it != all.rend(); ++it) release(*it);  // children first
  prune(parent);
}

DirTree::Info DirTree::info(std::uint32_t node) const {
  const Node& n = nodes_[node];
  return Info{n.wd, devs_[n.dev], static_cast<ino_t>((static_cast<std::uint64_t>(n.inoHi) << 32) | n.inoLo)};
}

std::uint16_t DirTree::devIndex(dev_t dev) {
  for (std::size_t i = 0; i < devs_.size(); ++i)
    if (devs_[i] == dev) return static_cast<std::uint16_t>(i);
  // More file systems mounted below one root than a 16-bit index holds is not a tree anyone watches; the
  // last slot is then shared, which only makes stillThere() trust an inode on the wrong device.
  if (devs_.size() == 0xffff) return 0xfffe;
  devs_.push_back(dev);
  return static_cast<std::uint16_t>(devs_.size() - 1);
}

void DirTree::shrinkToFit() {
  nodes_.shrink_to_fit();
  free_.shrink_to_fit();
  names_.shrink_to_fit();
}

std::size_t DirTree::bytes() const {
  return nodes_.capacity() * sizeof(Node) + free_.capacity() * sizeof(std::uint32_t) + names_.capacity() +
         byName_.bytes() + byWd_.bytes();
}

}  // namespace fsrelay
