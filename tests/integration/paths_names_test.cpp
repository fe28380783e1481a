// Bad input, paths: names of 255 bytes, paths near PATH_MAX, every byte from 1 to 255 in a name, names that
// look like rsync options. All arrive byte for byte; none is interpreted.
#include <gtest/gtest.h>

#include <dirent.h>
#include <limits.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/fault_figures.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t kNameMax = 255;

std::string hex2(unsigned b) {
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02x", b);
  return buf;
}

// Waits for the targets to equal the source; the seconds since t0, and the entries then on one target.
struct Arrival {
  double secs = -1;
  std::size_t entries = 0;
  std::size_t arrived = 0;
  std::string diff;
};
Arrival arrival(const Scenario& s, FaultClock::time_point t0) {
  Arrival a;
  if (secondsToConverge(s.src, s.targets(), 30s, &a.diff) < 0) return a;
  a.secs = secondsSince(t0);
  a.entries = snapshot(s.src).size();
  a.arrived = countArrived(s.src, s.targets()[0]);
  return a;
}

void recordFigures(const std::string& label, const Arrival& a) {
  Figures(label).add("entries", a.entries).add("arrived", a.arrived).seconds("converge s", a.secs);
}

TEST(Paths, names_of_255_bytes) {
  Scenario s;
  // ASCII, three-byte UTF-8 (85 x U+65E5) and bytes that are no UTF-8 at all, each exactly 255 bytes.
  std::string ascii = std::string(kNameMax - 4, 'n') + ".txt";
  std::string utf8;
  while (utf8.size() < kNameMax) utf8 += "\xe6\x97\xa5";
  std::string raw(kNameMax, '\xfe');
  ASSERT_EQ(ascii.size(), kNameMax);
  ASSERT_EQ(utf8.size(), kNameMax);
  writeFile(bytesPath(s.src, "pre-" + ascii.substr(4)), "before start\n");
  s.startRelay();
  ASSERT_TRUE(s.ready());

  auto t0 = FaultClock::now();
  writeFile(bytesPath(s.src, ascii), "ascii\n");
  writeFile(bytesPath(s.src, utf8), "utf8\n");
  fs::create_directories(bytesPath(s.src, raw + "/" + utf8));
  writeFile(bytesPath(s.src, raw + "/" + utf8 + "/" + ascii), "nested\n");
  Arrival a = arrival(s, t0);
  ASSERT_GE(a.secs, 0.0) << a.diff;

  // A rename between two 255-byte names, and the delete of one.
  std::string other = std::string(kNameMax - 4, 'm') + ".txt";
  fs::rename(bytesPath(s.src, ascii), bytesPath(s.src, other));
  fs::remove(bytesPath(s.src, utf8));
  ASSERT_TRUE(s.converged());
  recordFigures("paths: 255-byte names", a);
}

TEST(Paths, paths_near_path_max) {
  Scenario s;
  // The target's module directory is longer than the source root; keep both under PATH_MAX (4096 with
  // the NUL) and the source's deepest path at about 4,000 bytes.
  const std::size_t srcRoot = s.src.string().size() + 1;
  const std::size_t tgtRoot = s.targets()[0].string().size() + 1;
  const std::size_t longer = tgtRoot > srcRoot ? tgtRoot - srcRoot : 0;
  const std::size_t budget = std::min<std::size_t>(4000, PATH_MAX - 1 - longer - 16);
  // Directories of 200-byte names down to where one more would not fit, then a file filling the rest.
  std::string rel;
  int depth = 0;
  while (srcRoot + rel.size() + 201 + 20 <= budget) {
    std::string comp = "level" + std::to_string(depth++) + "-";
    comp += std::string(200 - comp.size(), 'd');
    rel += (rel.empty() ? "" : "/") + comp;
  }
  std::size_t left = budget - srcRoot - rel.size() - 1;
  std::string leaf = "f" + std::string(std::min(left, kNameMax) - 1, 'x');
  std::string deepest = rel + "/" + leaf;
  ASSERT_EQ(srcRoot + deepest.size(), budget) << "the test's own arithmetic";

  s.startRelay();
  ASSERT_TRUE(s.ready());
  auto t0 = FaultClock::now();
  // Made one level at a time, as a tool copying a tree would, while watched.
  fs::create_directories(bytesPath(s.src, rel));
  writeFile(bytesPath(s.src, deepest), "at the bottom\n");
  writeFile(bytesPath(s.src, rel + "/short.txt"), "short name, long path\n");
  Arrival a = arrival(s, t0);
  ASSERT_GE(a.secs, 0.0) << a.diff;

  // Changes at the bottom: an edit, a rename, a delete, and a new directory made ready-filled by a rename.
  writeFile(bytesPath(s.src, deepest), "edited at the bottom\n");
  fs::rename(bytesPath(s.src, rel + "/short.txt"), bytesPath(s.src, rel + "/renamed.txt"));
  std::string topLevel = rel.substr(0, rel.find('/'));
  fs::create_directories(s.tmp / "staging/x");
  writeFile(s.tmp / "staging/x/y", "y\n");
  fs::rename(s.tmp / "staging", bytesPath(s.src, rel.substr(0, rel.rfind('/')) + "/moved-in"));
  ASSERT_TRUE(s.converged());
  // Removing the whole deep tree.
  fs::remove_all(bytesPath(s.src, topLevel));
  ASSERT_TRUE(s.converged());
  Figures("paths: near PATH_MAX")
      .add("depth", depth)
      .add("source path bytes", srcRoot + deepest.size())
      .add("target path bytes", tgtRoot + deepest.size())
      .add("entries", a.entries)
      .add("arrived", a.arrived)
      .seconds("converge s", a.secs);
}

TEST(Paths, every_byte_from_1_to_255_in_names) {
  Scenario s;
  // One file per byte (the byte first, where option parsers and comment rules look), and one name holding
  // all 254 bytes that a name can hold (1..255 without '/'), as a file and as a directory.
  auto perByte = [](const std::string& suffix) {
    std::vector<std::string> names;
    for (unsigned b = 1; b <= 255; ++b)
      if (b != '/') names.push_back(std::string(1, static_cast<char>(b)) + "-" + hex2(b) + suffix);
    return names;
  };
  std::string all;
  for (unsigned b = 1; b <= 255; ++b)
    if (b != '/') all.push_back(static_cast<char>(b));
  ASSERT_EQ(all.size(), 254u);
  // Some exist before start: they go through the -r full sync.
  fs::create_directories(s.src / "pre");
  for (const std::string& n : perByte(".pre")) writeFile(bytesPath(s.src / "pre", n), n);
  writeFile(bytesPath(s.src / "pre", all), "all bytes, before start");
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged());

  auto t0 = FaultClock::now();
  for (const std::string& n : perByte("")) writeFile(bytesPath(s.src, n), n);
  writeFile(bytesPath(s.src, all), "all bytes");
  fs::create_directories(bytesPath(s.src, "d/" + all));
  writeFile(bytesPath(s.src, "d/" + all + "/" + all), "all bytes, nested");
  Arrival a = arrival(s, t0);
  ASSERT_GE(a.secs, 0.0) << a.diff;

  // Renames and deletes of such names.
  std::string reversed(all.rbegin(), all.rend());
  fs::rename(bytesPath(s.src, all), bytesPath(s.src, reversed));
  fs::rename(bytesPath(s.src, "d/" + all), bytesPath(s.src, "d/" + reversed));
  for (unsigned b = 1; b <= 255; b += 3)
    if (b != '/') fs::remove(bytesPath(s.src, std::string(1, static_cast<char>(b)) + "-" + hex2(b)));
  fs::remove_all(s.src / "pre");
  ASSERT_TRUE(s.converged());
  recordFigures("paths: every byte 1..255", a);
}


TEST(Paths, names_that_look_like_rsync_options_arrive_and_are_not_interpreted) {
  Scenario s;
  const std::string marker = "optmark-" + randomHex(8);
  // Options that would delete, move away, redirect or run something if rsync (or a shell) read them.
  const std::vector<std::string> names = {
      "--delete",
      "--delete-excluded",
      "--remove-source-files",
      "-e sh",
      "-e",
      "sh",
      "--rsh=" + marker + "-rsh",
      "--rsync-path=touch " + marker + "-rsync-path",
      "--log-file=" + marker + "-log-file",
      "--files-from=-",
      "--exclude=*",
      "--include=*",
      "--filter=- *",
      "--max-delete=0",
      "--dry-run",
      "--list-only",
      "--server",
      "--sender",
      "--daemon",
      "--partial-dir=..",
      "--backup-dir=bak",
      "-r",
      "-n",
      "-vvv",
      "-a",
      "-",
      "--",
      "-rf",
      "-- -e sh",
      "--password-file=pw",
      "@ERROR: fake daemon line",
  };
  // Files that must survive: the full sync sent them before any option-like name existed.
  fs::create_directories(s.src / "keep");
  writeManyFiles(s.src / "keep", 50);
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged());
  const Snapshot keepBefore = snapshot(s.src / "keep");

  auto t0 = FaultClock::now();
  for (const std::string& n : names) writeFile(bytesPath(s.src, n), "file named " + n + "\n");
  fs::create_directories(s.src / "--delete-dir");
  for (const std::string& n : names) writeFile(bytesPath(s.src / "--delete-dir", n), "nested " + n + "\n");
  fs::create_directories(bytesPath(s.src, "-e sh dir/--rsh=x"));
  writeFile(bytesPath(s.src, "-e sh dir/--rsh=x/-e"), "deep\n");
  Arrival a = arrival(s, t0);
  ASSERT_GE(a.secs, 0.0) << a.diff;

  // Renames onto and deletes of option-like names.
  fs::rename(bytesPath(s.src, "--delete"), bytesPath(s.src, "--delete-after"));
  fs::rename(bytesPath(s.src, "keep/f0.txt"), bytesPath(s.src, "--remove-source-files.moved"));
  fs::remove(bytesPath(s.src, "-e sh"));
  fs::remove_all(bytesPath(s.src, "-e sh dir"));
  ASSERT_TRUE(s.converged());

  // Nothing else was deleted or moved: the source keeps its files, the targets equal it (checked above),
  // and no option left its marker in a place rsync or a shell would have written it.
  Snapshot keepAfter = snapshot(s.src / "keep");
  EXPECT_EQ(keepAfter.size(), keepBefore.size() - 1);
  for (const std::string& n : names) {
    if (n == "--delete" || n == "-e sh") continue;  // renamed and removed above
    EXPECT_TRUE(fs::exists(bytesPath(s.src, n))) << escapeName(n) << " vanished from the source";
  }
  std::vector<fs::path> places = {"/tmp", s.cwd, s.src, s.tmp.path(), s.tmp / "rsyncd"};
  for (const fs::path& t : s.targets()) places.push_back(t);
  for (const fs::path& dir : places) {
    std::vector<std::string> found = namesStartingWith(dir, marker);
    EXPECT_TRUE(found.empty()) << "an option in a file name was obeyed: " << escapeName(found.front()) << " in " << dir;
  }
  recordFigures("paths: rsync-option names", a);
}

}  // namespace
}  // namespace fsrelay::test
