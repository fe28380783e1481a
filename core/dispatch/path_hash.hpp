// A path's hash and its directories' hashes in one pass, for the target queue's indexes.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace fsrelay {

// Hashes of a path and of its directory prefixes in one pass: a path hashes as the sequence of its
// '/'-separated components, so the hash of "a/b" taken on the way through "a/b/c" is the hash of "a/b"
// itself. Eight bytes at a time, finding the '/' in a word without a loop over its bytes, and never
// reading past the path. Finished with a 64-bit mix: linear probing masks the low bits.
class PathHash {
 public:
  static std::uint64_t of(std::string_view path) {
    return walk(path, [](std::size_t, std::uint64_t) {});
  }
  // Calls dir(length, hash) for each proper prefix of path that ends before a '/', shortest first;
  // returns the hash of the whole path.
  template <class Dir>
  static std::uint64_t walk(std::string_view path, Dir dir) {
    static_assert(std::endian::native == std::endian::little, "the first '/' of a word is its lowest");
    const char* const begin = path.data();
    const char* const end = begin + path.size();
    std::uint64_t state = kSeed;
    for (const char* p = begin;;) {
      const char* start = p;
      std::uint64_t h = kSeed;
      for (;;) {
        const std::size_t left = static_cast<std::size_t>(end - p);
        if (left == 0) break;
        std::uint64_t w = 0;  // the next (up to) 8 bytes, the first in the lowest byte
        if (left >= 8) {
          std::memcpy(&w, p, 8);
        } else if (path.size() >= 8) {
          std::memcpy(&w, end - 8, 8);  // the path's last word, which ends with these bytes
          w >>= 8 * (8 - left);
        } else {
          for (std::size_t i = 0; i < left; ++i) w |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
        }
        std::uint64_t slashes = zeroBytes(w ^ 0x2f2f2f2f2f2f2f2fULL);
        if (left < 8) slashes &= ~std::uint64_t{0} >> (64 - 8 * left);
        // bytes of w before the component ends
        const std::size_t n = slashes == 0 ? std::min<std::size_t>(left, 8) : std::countr_zero(slashes) / 8;
        if (n == 0) break;
        if (n < 8) w &= ~std::uint64_t{0} >> (64 - 8 * n);
        h = (rotl(h, 29) ^ w) * kMul;
        p += n;
        if (n < 8) break;
      }
      h ^= static_cast<std::uint64_t>(p - start);  // "a" and "a\0" differ
      state = (rotl(state, 23) ^ h ^ (h >> 31)) * kMul;
      if (p == end) return finish(state);
      dir(static_cast<std::size_t>(p - begin), finish(state));
      ++p;
    }
  }

 private:
  static constexpr std::uint64_t kSeed = 0x243f6a8885a308d3ULL;
  static constexpr std::uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  static std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  // The high bit of each zero byte of x, and maybe of bytes above the lowest zero one (never below it).
  static std::uint64_t zeroBytes(std::uint64_t x) {
    return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
  }
  static std::uint64_t finish(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
  }
};

}  // namespace fsrelay
