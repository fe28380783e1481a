// An open-addressing table from 64-bit hashes to small values, for indexes that must not allocate per entry.
#pragma once

#include <cassert>
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <vector>

namespace fsrelay {

// Linear probing with backward-shift deletion (no tombstones), at most half full. The table stores only
// the hash: entries whose keys share a hash are told apart by the caller's `same(value)`. Pointers to
// values stay valid until the next insertion or erasure.
template <class Value>
class FlatHashTable {
 public:
  std::size_t size() const { return size_; }

  template <class Same>
  const Value* find(std::uint64_t hash, Same same) const {
    if (size_ == 0) return nullptr;
    hash = nonZero(hash);
    for (std::size_t i = hash & mask(); slots_[i].hash != 0; i = (i + 1) & mask())
      if (slots_[i].hash == hash && same(slots_[i].value)) return &slots_[i].value;
    return nullptr;
  }
  template <class Same>
  Value* find(std::uint64_t hash, Same same) {
    return const_cast<Value*>(static_cast<const FlatHashTable*>(this)->find(hash, same));
  }

  // Finds the entry, or adds one holding a value-initialized Value (*added tells which).
  template <class Same>
  Value& findOrAdd(std::uint64_t hash, Same same, bool* added) {
    if (Value* v = find(hash, same)) {
      *added = false;
      return *v;
    }
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? kMinSlots : slots_.size() * 2);
    hash = nonZero(hash);
    std::size_t i = hash & mask();
    while (slots_[i].hash != 0) i = (i + 1) & mask();
    slots_[i] = Slot{hash, Value{}};
    ++size_;
    *added = true;
    return slots_[i].value;
  }

  // v: a pointer find() or findOrAdd() returned, still valid.
  void erase(Value* v) {
    std::size_t i = static_cast<std::size_t>(reinterpret_cast<Slot*>(reinterpret_cast<char*>(v) - offsetof(Slot, value)) -
                                             slots_.data());
    assert(i < slots_.size() && slots_[i].hash != 0);
    // Shift back every later entry of the run that may sit at i: one whose home is not in (i, j].
    for (std::size_t j = (i + 1) & mask(); slots_[j].hash != 0; j = (j + 1) & mask()) {
      std::size_t home = slots_[j].hash & mask();
      bool stays = i < j ? (home > i && home <= j) : (home > i || home <= j);
      if (!stays) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
  }

  // The table keeps its size when entries go (a queue that fills and drains would otherwise grow and
  // shrink it every time); clear() gives the memory back.
  std::size_t capacity() const { return slots_.size(); }
  void clear() {
    slots_.clear();
    slots_.shrink_to_fit();
    size_ = 0;
  }
  // Empties the table and keeps its size, for a queue that drains and fills again.
  void wipe() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    size_ = 0;
  }

 private:
  static constexpr std::size_t kMinSlots = 64;
  struct Slot {
    std::uint64_t hash = 0;  // 0: empty
    Value value{};
  };
  static std::uint64_t nonZero(std::uint64_t h) { return h == 0 ? 1 : h; }
  std::size_t mask() const { return slots_.size() - 1; }

  void rehash(std::size_t n) {
    std::vector<Slot> old(n);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.hash == 0) continue;
      std::size_t i = s.hash & mask();
      while (slots_[i].hash != 0) i = (i + 1) & mask();
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace fsrelay
