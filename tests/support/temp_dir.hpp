// A private temporary directory for one test, removed with everything in it when the test ends.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace fsrelay::test {

class TempDir {
 public:
  // mkdtemp under $TMPDIR (or /tmp). The directory is removed in the destructor, pass or fail, unless
  // FSRELAY_TEST_KEEP=1 is set in the environment (then its path is printed for a post-mortem).
  explicit TempDir(std::string_view prefix = "fsrelay-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::filesystem::path operator/(const std::filesystem::path& rel) const { return path_ / rel; }
  // Makes path()/rel (and its parents) and returns it.
  std::filesystem::path mkdir(const std::filesystem::path& rel) const;

 private:
  std::filesystem::path path_;
};

// Removes a tree even where a test took away write or search permission from a directory in it.
void removeTree(const std::filesystem::path& root);

// Writes content to path, created with mode 0600 (secrets, password files), replacing any old file.
void writePrivateFile(const std::filesystem::path& path, std::string_view content);

}  // namespace fsrelay::test
