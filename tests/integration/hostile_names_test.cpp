// Hostile file names arrive byte for byte, and nothing in them is ever run by a shell.
#include <gtest/gtest.h>

#include <dirent.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;


// Every name of one path component that a shell, an rsync argument parser or a UTF-8 decoder could trip over.
std::vector<std::string> hostileNames(const std::string& marker) {
  return {
      "with space.txt",
      " leading space",
      "trailing space ",
      "single'quote",
      "double\"quote",
      "new\nline",
      "tab\there",
      "carriage\rreturn",
      "-leading-dash",
      "--delete",
      "-e",
      "--rsh=touch " + marker + "-rsh",
      "back\\slash",
      "glob*?[ab]",
      "semi;colon&amp|pipe>redir<in",
      "dollar$HOME$(x)",
      "percent%s%n%d",
      "colon:name",
      "host::module",
      "user@host:path",
      "#hash",  // rsync --files-from skips lines starting with '#' or ';' as comments
      ";semicolon-first",
      "~tilde",
      "!bang",
      "{brace,expansion}",
      "\xff\xfe invalid utf-8",
      "\xc3\x28 overlong",
      "utf8-\xc3\xbc" "n\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac",
      "$(touch " + marker + "-cmdsub)",
      "`touch " + marker + "-backquote`",
      "'$(touch " + marker + "-quoted)'",
      "\"; touch " + marker + "-semicolon; \"",
  };
}

// Paths whose bytes, read as one string, name /tmp: $(touch /tmp/MARKER) needs nested directories.
std::vector<std::string> hostilePaths(const std::string& marker) {
  return {
      "$(touch /tmp/" + marker + "-abs-cmdsub)",
      "`touch /tmp/" + marker + "-abs-backquote`",
      "a\"$(touch /tmp/" + marker + "-abs-dq)\"b",
  };
}

void makeHostileFiles(const fs::path& root, const std::string& marker, const std::string& tag) {
  for (const std::string& n : hostileNames(marker)) writeFile(bytesPath(root, n + tag), "content of " + n);
  for (const std::string& p : hostilePaths(marker)) {
    std::string withTag = p + tag;
    fs::path full = bytesPath(root, withTag);
    fs::create_directories(full.parent_path());
    writeFile(full, "nested " + withTag);
  }
}

TEST(Names, hostile_names_arrive_and_nothing_is_executed) {
  Scenario s;
  std::string marker = "pwned-" + randomHex(10);
  // Some exist before start (they go through the -r full sync), the rest are made while watched.
  makeHostileFiles(s.src, marker, "");
  fs::path odd = bytesPath(s.src, "--delete dir\n\xff");
  fs::create_directories(odd);
  makeHostileFiles(odd, marker, ".pre");
  s.startRelay();
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(s.converged());

  fs::path live = bytesPath(s.src, "-live $(dir) `x`");
  fs::create_directories(live);
  makeHostileFiles(live, marker, "");
  makeHostileFiles(s.src, marker, ".live");
  ASSERT_TRUE(s.converged());

  // Renames and deletes of hostile names.
  fs::rename(bytesPath(s.src, "--delete.live"), bytesPath(s.src, "-e.renamed\n"));
  fs::rename(live, bytesPath(s.src, "-renamed $(dir)\xfe"));
  fs::remove(bytesPath(s.src, "new\nline.live"));
  fs::remove_all(odd);
  ASSERT_TRUE(s.converged());

  // A shell would have made its marker files in its working directory (fsrelay's, the source root or a
  // target), or in /tmp for the nested paths.
  std::vector<fs::path> places = {"/tmp", s.cwd, s.src, s.tmp.path()};
  for (const fs::path& t : s.targets()) places.push_back(t);
  if (const char* t = std::getenv("TMPDIR")) places.emplace_back(t);
  for (const fs::path& dir : places) {
    std::vector<std::string> found = namesStartingWith(dir, marker);
    EXPECT_TRUE(found.empty()) << "a shell ran a command from a file name: " << escapeName(found.front())
                               << " exists in " << dir;
    for (const std::string& f : found) fs::remove(dir / f);
  }
}

}  // namespace
}  // namespace fsrelay::test
