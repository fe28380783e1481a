// File tree helpers: writing files with arbitrary byte names, snapshots, and waiting for targets to equal a source.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fsrelay::test {

enum class EntryType : std::uint8_t { File, Dir, Symlink, Other };

struct Entry {
  EntryType type = EntryType::Other;
  std::uint64_t size = 0;  // files only
  std::string detail;      // files: content hash (hex); symlinks: the link's target; otherwise empty

  bool operator==(const Entry&) const = default;
};

// Relative path (bytes, "/"-separated, no leading "/") -> entry. The root itself is not listed.
using Snapshot = std::map<std::string, Entry>;

// Decides which source paths a target must not have (the daemon's excludes): true = leave it out.
// An excluded directory leaves out its whole subtree.
using ExcludeFn = std::function<bool(std::string_view relPath, EntryType type)>;

// Walks root without following symlinks; entries that vanish during the walk are skipped, and a
// missing root gives an empty snapshot.
Snapshot snapshot(const std::filesystem::path& root, const ExcludeFn& exclude = {});

// Up to maxItems differences ("t1: missing 'a/b' (file, 5 bytes)"), names escaped; "" when equal.
std::string describeDiff(const Snapshot& expected, const Snapshot& actual, std::string_view label,
                         std::size_t maxItems = 10);

// Compares every target with the source once; "" when all are equal.
std::string compareTrees(const std::filesystem::path& src, const std::vector<std::filesystem::path>& targets,
                         const ExcludeFn& exclude = {}, std::size_t maxItems = 10);

// Polls every 50 ms (longer when one comparison takes longer, so polling never takes more than half the
// CPU) until every target equals the source. "" once equal, else the last differences at the timeout.
std::string waitEqual(const std::filesystem::path& src, const std::vector<std::filesystem::path>& targets,
                      std::chrono::milliseconds timeout, const ExcludeFn& exclude = {});

// A name or path made printable: bytes outside printable ASCII as \xNN, \n as \n, quotes and backslash escaped.
std::string escapeName(std::string_view name);

// Writes content (creating or truncating; one open/write/close, so one IN_CLOSE_WRITE), parents must exist.
void writeFile(const std::filesystem::path& path, std::string_view content);
void appendFile(const std::filesystem::path& path, std::string_view content);
std::string readFile(const std::filesystem::path& path);
// Names in dir starting with prefix (byte-wise), to find marker files a shell would have made.
std::vector<std::string> namesStartingWith(const std::filesystem::path& dir, const std::string& prefix);
// size bytes of incompressible pseudo-random data from seed, written in 1 MiB chunks.
void writeRandomFile(const std::filesystem::path& path, std::uint64_t size, std::uint64_t seed);
// Writes count files named prefix + N + suffix (N from 0) with content "line N\n" into dir.
void writeManyFiles(const std::filesystem::path& dir, std::size_t count, std::string_view prefix = "f",
                    std::string_view suffix = ".txt");

// Sets a file's (or a symlink's own) access and modification times; throws on failure.
void setMtime(const std::filesystem::path& path, std::int64_t epochSeconds, long nanoseconds = 0);
// 2001-01-01: older than anything a test writes, so `rsync -u` would see the other side as newer.
inline constexpr std::int64_t kLongAgo = 978307200;

// A path from raw bytes (each "/" separates components), relative to root.
std::filesystem::path bytesPath(const std::filesystem::path& root, std::string_view rel);

}  // namespace fsrelay::test
