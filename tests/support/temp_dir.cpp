// TempDir: mkdtemp-made test directories and their recursive removal.
#include "tests/support/temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace fsrelay::test {

namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  fs::path dir = (base != nullptr && *base != '\0') ? fs::path(base) : fs::path("/tmp");
  std::string templ = (dir / (std::string(prefix) + "-XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
  path_ = fs::path(buf.data());
}

TempDir::~TempDir() {
  const char* keep = std::getenv("FSRELAY_TEST_KEEP");
  if (keep != nullptr && std::string_view(keep) == "1") {
    std::cerr << "[fsrelay-test] kept " << path_.string() << "\n";
    return;
  }
  removeTree(path_);
}

fs::path TempDir::mkdir(const fs::path& rel) const {
  fs::path p = path_ / rel;
  fs::create_directories(p);
  return p;
}

void removeTree(const fs::path& root) {
  std::error_code ec;
  fs::remove_all(root, ec);
  if (!ec) return;
  // A directory without u+rwx stops remove_all; give every directory back its permissions and retry.
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::permissions(root, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(root, ec);
  if (ec) std::cerr << "[fsrelay-test] could not remove " << root.string() << ": " << ec.message() << "\n";
}

void writePrivateFile(const fs::path& path, std::string_view content) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "create " + path.string());
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      throw std::system_error(err, std::generic_category(), "write " + path.string());
    }
    off += static_cast<size_t>(n);
  }
  // The umask does not apply to fchmod: the mode is exactly 0600 whatever the caller's umask.
  ::fchmod(fd, 0600);
  ::close(fd);
}

}  // namespace fsrelay::test
