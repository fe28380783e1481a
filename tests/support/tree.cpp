// Tree helpers: a race-tolerant walker, cached content hashes, readable differences, file writers.
#include "tests/support/tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <tuple>

namespace fsrelay::test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// What one stat says about an entry; the key decides whether a cached content hash is still valid
// (rsync writes a new inode for every update, and a rewrite in place changes mtime or ctime).
struct RawEntry {
  EntryType type = EntryType::Other;
  std::uint64_t size = 0;
  std::string link;
  std::tuple<dev_t, ino_t, off_t, std::int64_t, std::int64_t> key;
};
using RawMap = std::map<std::string, RawEntry>;

std::int64_t nanos(const timespec& ts) { return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec; }

EntryType typeOf(mode_t mode) {
  if (S_ISREG(mode)) return EntryType::File;
  if (S_ISDIR(mode)) return EntryType::Dir;
  if (S_ISLNK(mode)) return EntryType::Symlink;
  return EntryType::Other;
}

// Takes ownership of dirFd.
void walk(int dirFd, const std::string& prefix, RawMap& out, const ExcludeFn& exclude) {
  DIR* d = ::fdopendir(dirFd);
  if (d == nullptr) {
    ::close(dirFd);
    return;
  }
  while (dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // vanished meanwhile
    std::string rel = prefix.empty() ? std::string(name) : prefix + "/" + std::string(name);
    RawEntry r;
    r.type = typeOf(st.st_mode);
    if (exclude && exclude(rel, r.type)) continue;
    if (r.type == EntryType::File) {
      r.size = static_cast<std::uint64_t>(st.st_size);
      r.key = {st.st_dev, st.st_ino, st.st_size, nanos(st.st_mtim), nanos(st.st_ctim)};
    } else if (r.type == EntryType::Symlink) {
      std::string buf(static_cast<std::size_t>(st.st_size) + 256, '\0');
      ssize_t n = ::readlinkat(::dirfd(d), e->d_name, buf.data(), buf.size());
      if (n < 0) continue;
      buf.resize(static_cast<std::size_t>(n));
      r.link = std::move(buf);
    }
    out.emplace(rel, r);
    if (r.type == EntryType::Dir) {
      int fd = ::openat(::dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) walk(fd, rel, out, exclude);
    }
  }
  ::closedir(d);
}

RawMap walkRaw(const fs::path& root, const ExcludeFn& exclude) {
  RawMap out;
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) walk(fd, "", out, exclude);
  return out;
}

// 64-bit multiply-xorshift over 8-byte words; enough to tell test contents apart, and fast on 100 MB.
struct Hasher {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL;
  std::uint64_t length = 0;
  void update(const unsigned char* p, std::size_t n) {
    length += n;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      mix(w);
    }
    if (i < n) {
      std::uint64_t w = 0;
      std::memcpy(&w, p + i, n - i);
      mix(w ^ (std::uint64_t(n - i) << 56));
    }
  }
  void mix(std::uint64_t w) {
    h ^= w * 0xBF58476D1CE4E5B9ULL;
    h = (h << 27 | h >> 37) * 0x94D049BB133111EBULL;
  }
  std::string hex() const {
    std::uint64_t x = h ^ length;
    x ^= x >> 31;
    x *= 0xD6E8FEB86659FD93ULL;
    x ^= x >> 32;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
    return buf;
  }
};

std::mutex gCacheMutex;
std::map<decltype(RawEntry::key), std::string> gHashCache;

// The content hash of a file, or "" when it cannot be read (it vanished: the next poll sees that).
std::string contentHash(const fs::path& path, const RawEntry& raw) {
  {
    std::lock_guard lock(gCacheMutex);
    auto it = gHashCache.find(raw.key);
    if (it != gHashCache.end()) return it->second;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return "";
  Hasher h;
  std::vector<unsigned char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    h.update(buf.data(), static_cast<std::size_t>(n));
  }
  struct stat st {};
  bool stable = ::fstat(fd, &st) == 0 &&
                std::make_tuple(st.st_dev, st.st_ino, st.st_size, nanos(st.st_mtim), nanos(st.st_ctim)) == raw.key;
  ::close(fd);
  std::string hex = h.hex();
  // A file that changed while being read gets a fresh hash next time instead of a stale cached one.
  if (stable) {
    std::lock_guard lock(gCacheMutex);
    gHashCache.emplace(raw.key, hex);
  }
  return hex;
}

Snapshot toSnapshot(const fs::path& root, const RawMap& raw, bool withHashes) {
  Snapshot out;
  for (const auto& [rel, r] : raw) {
    Entry e;
    e.type = r.type;
    e.size = r.size;
    if (r.type == EntryType::Symlink) e.detail = r.link;
    if (r.type == EntryType::File && withHashes) e.detail = contentHash(root / rel, r);
    out.emplace(rel, std::move(e));
  }
  return out;
}

std::string describeEntry(const Entry& e) {
  switch (e.type) {
    case EntryType::File:
      return "file, " + std::to_string(e.size) + " bytes" + (e.detail.empty() ? "" : ", #" + e.detail.substr(0, 8));
    case EntryType::Dir:
      return "dir";
    case EntryType::Symlink:
      return "symlink -> '" + escapeName(e.detail) + "'";
    case EntryType::Other:
      return "special file";
  }
  return "?";
}

}  // namespace

Snapshot snapshot(const fs::path& root, const ExcludeFn& exclude) {
  return toSnapshot(root, walkRaw(root, exclude), true);
}

std::string escapeName(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out.push_back(static_cast<char>(c));
        } else {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        }
    }
  }
  return out;
}

std::string describeDiff(const Snapshot& expected, const Snapshot& actual, std::string_view label,
                         std::size_t maxItems) {
  std::string out;
  std::size_t shown = 0, total = 0;
  auto add = [&](const std::string& line) {
    ++total;
    if (shown < maxItems) {
      out += std::string(label) + ": " + line + "\n";
      ++shown;
    }
  };
  auto e = expected.begin();
  auto a = actual.begin();
  while (e != expected.end() || a != actual.end()) {
    if (a == actual.end() || (e != expected.end() && e->first < a->first)) {
      add("missing '" + escapeName(e->first) + "' (" + describeEntry(e->second) + ")");
      ++e;
    } else if (e == expected.end() || a->first < e->first) {
      add("extra '" + escapeName(a->first) + "' (" + describeEntry(a->second) + ")");
      ++a;
    } else {
      if (!(e->second == a->second))
        add("differs '" + escapeName(e->first) + "': source " + describeEntry(e->second) + ", target " +
            describeEntry(a->second));
      ++e;
      ++a;
    }
  }
  if (total > shown) out += std::string(label) + ": ... " + std::to_string(total - shown) + " more differences\n";
  return out;
}

namespace {
// quick: stop at name, type, size and link differences (hashing is only worth it once those agree);
// otherwise also compare the contents of every file present on both sides.
std::string compareImpl(const fs::path& src, const std::vector<fs::path>& targets, const ExcludeFn& exclude,
                        std::size_t maxItems, bool quick) {
  RawMap srcRaw = walkRaw(src, exclude);
  std::vector<RawMap> dstRaw;
  for (const fs::path& t : targets) dstRaw.push_back(walkRaw(t, {}));
  std::string out;
  Snapshot srcMeta = toSnapshot(src, srcRaw, false);
  for (std::size_t i = 0; i < targets.size(); ++i)
    out += describeDiff(srcMeta, toSnapshot(targets[i], dstRaw[i], false), targets[i].filename().string(), maxItems);
  if (!out.empty() && quick) return out;
  out.clear();
  Snapshot srcFull = toSnapshot(src, srcRaw, true);
  for (std::size_t i = 0; i < targets.size(); ++i)
    out += describeDiff(srcFull, toSnapshot(targets[i], dstRaw[i], true), targets[i].filename().string(), maxItems);
  return out;
}
}  // namespace

std::string compareTrees(const fs::path& src, const std::vector<fs::path>& targets, const ExcludeFn& exclude,
                         std::size_t maxItems) {
  return compareImpl(src, targets, exclude, maxItems, false);
}

std::string waitEqual(const fs::path& src, const std::vector<fs::path>& targets, std::chrono::milliseconds timeout,
                      const ExcludeFn& exclude) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto t0 = Clock::now();
    if (compareImpl(src, targets, exclude, 1, true).empty()) return "";
    auto now = Clock::now();
    if (now >= deadline) return compareImpl(src, targets, exclude, 10, false);
    auto pause = std::max<Clock::duration>(std::chrono::milliseconds(50), now - t0);
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
  }
}

namespace {
void writeAll(const fs::path& path, std::string_view content, int flags) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + escapeName(path.string()));
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      throw std::system_error(err, std::generic_category(), "write " + escapeName(path.string()));
    }
    off += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) throw std::system_error(errno, std::generic_category(), "close " + escapeName(path.string()));
}
}  // namespace

void writeFile(const fs::path& path, std::string_view content) { writeAll(path, content, O_TRUNC); }
void appendFile(const fs::path& path, std::string_view content) { writeAll(path, content, O_APPEND); }

std::string readFile(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + escapeName(path.string()));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

void writeRandomFile(const fs::path& path, std::uint64_t size, std::uint64_t seed) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + escapeName(path.string()));
  std::vector<std::uint64_t> chunk((1 << 20) / 8);
  std::uint64_t x = seed | 1;
  std::uint64_t left = size;
  while (left > 0) {
    for (std::uint64_t& w : chunk) {  // xorshift64*: incompressible, so -z cannot shrink the transfer
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      w = x * 0x2545F4914F6CDD1DULL;
    }
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size() * 8));
    const char* p = reinterpret_cast<const char*>(chunk.data());
    std::size_t off = 0;
    while (off < n) {
      ssize_t w = ::write(fd, p + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        int err = errno;
        ::close(fd);
        throw std::system_error(err, std::generic_category(), "write " + path.string());
      }
      off += static_cast<std::size_t>(w);
    }
    left -= n;
  }
  ::close(fd);
}

void writeManyFiles(const fs::path& dir, std::size_t count, std::string_view prefix, std::string_view suffix) {
  for (std::size_t i = 0; i < count; ++i)
    writeFile(dir / (std::string(prefix) + std::to_string(i) + std::string(suffix)), "line " + std::to_string(i) + "\n");
}

void setMtime(const fs::path& path, std::int64_t epochSeconds, long nanoseconds) {
  timespec times[2] = {{static_cast<time_t>(epochSeconds), nanoseconds}, {static_cast<time_t>(epochSeconds), nanoseconds}};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    throw std::system_error(errno, std::generic_category(), "utimensat " + escapeName(path.string()));
}

fs::path bytesPath(const fs::path& root, std::string_view rel) {
  // On POSIX a path is bytes; std::filesystem::path keeps them as given when built from std::string.
  return root / fs::path(std::string(rel));
}

std::vector<std::string> namesStartingWith(const std::filesystem::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::string_view(e->d_name).starts_with(prefix)) out.push_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

}  // namespace fsrelay::test
