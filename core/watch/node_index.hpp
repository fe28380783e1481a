// An open-addressing hash set of 32-bit node indices whose keys live in the nodes themselves (4 bytes a slot).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fsrelay {

// std::unordered_map costs a heap node (32+ bytes) and a bucket pointer per entry, and a copy of the key;
// this keeps only the node index, and the caller supplies the hash and the key comparison. Linear
// probing, load kept at most 3/4, erased slots marked as tombstones until the next rehash.
class NodeIndex {
 public:
  static constexpr std::uint32_t kEmpty = 0xffffffffu;

  // The value v (one of the stored indices) for which eq(v) holds, probing from hash h; kEmpty if none.
  template <class Eq>
  std::uint32_t find(std::size_t h, Eq&& eq) const {
    if (slots_.empty()) return kEmpty;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      std::uint32_t v = slots_[i];
      if (v == kEmpty) return kEmpty;
      if (v != kTomb && eq(v)) return v;
    }
  }

  // Adds v, whose hash is h; hashOf(stored value) rehashes the others when the table grows.
  template <class HashOf>
  void insert(std::uint32_t v, std::size_t h, HashOf&& hashOf) {
    if ((used_ + tombs_ + 1) * 4 > slots_.size() * 3) {
      std::size_t want = 16;
      while (want * 3 < (used_ + 1) * 8) want *= 2;  // about 3/8 full right after growing
      rehash(want, hashOf);
    }
    std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    while (slots_[i] != kEmpty && slots_[i] != kTomb) i = (i + 1) & mask;
    if (slots_[i] == kTomb) --tombs_;
    slots_[i] = v;
    ++used_;
  }

  // Removes v, whose hash is h. Returns false when v was not there.
  bool erase(std::uint32_t v, std::size_t h) {
    if (slots_.empty()) return false;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == kEmpty) return false;
      if (slots_[i] == v) {
        slots_[i] = kTomb;
        --used_;
        ++tombs_;
        return true;
      }
    }
  }

  void clear() {
    std::vector<std::uint32_t>().swap(slots_);
    used_ = tombs_ = 0;
  }
  std::size_t size() const { return used_; }
  std::size_t bytes() const { return slots_.capacity() * sizeof(std::uint32_t); }

 private:
  static constexpr std::uint32_t kTomb = 0xfffffffeu;

  template <class HashOf>
  void rehash(std::size_t n, HashOf& hashOf) {
    std::vector<std::uint32_t> old;
    old.swap(slots_);
    slots_.assign(n, kEmpty);
    tombs_ = 0;
    std::size_t mask = n - 1;
    for (std::uint32_t v : old) {
      if (v == kEmpty || v == kTomb) continue;
      std::size_t i = hashOf(v) & mask;
      while (slots_[i] != kEmpty) i = (i + 1) & mask;
      slots_[i] = v;
    }
  }

  std::vector<std::uint32_t> slots_;
  std::size_t used_ = 0;
  std::size_t tombs_ = 0;
};

}  // namespace fsrelay
