// TmpfsMount: mount(2), remount with a new size, and an unmount that cannot be skipped.
#include "tests/support/fault_tmpfs.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>
#include <thread>

namespace fsrelay::test {

namespace fs = std::filesystem;

namespace {

std::string sizeOption(std::uint64_t bytes) { return "size=" + std::to_string(bytes) + ",mode=0755"; }

// /proc/mounts escapes blanks, tabs, newlines and backslashes in paths as octal (\040 ...).
std::string unescapeMountPath(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

TmpfsMount::TmpfsMount(fs::path dir, std::uint64_t bytes) : dir_(std::move(dir)) {
  std::string opts = sizeOption(bytes);
  if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0)
    throw std::system_error(errno, std::generic_category(), "mount -t tmpfs -o " + opts + " tmpfs " + dir_.string());
  mounted_ = true;
}

TmpfsMount::~TmpfsMount() { unmount(); }

void TmpfsMount::resize(std::uint64_t bytes) {
  std::string opts = sizeOption(bytes);
  if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV, opts.c_str()) != 0)
    throw std::system_error(errno, std::generic_category(), "mount -o remount," + opts + " " + dir_.string());
}

void TmpfsMount::unmount() {
  if (!mounted_) return;
  mounted_ = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (::umount2(dir_.c_str(), 0) != 0) {
    if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline) {
      // Still in use (a session of the rsync daemon has its working directory there): detach it from the
      // tree now; the kernel frees it when the last user lets go.
      if (::umount2(dir_.c_str(), MNT_DETACH) != 0)
        std::cerr << "TmpfsMount: cannot unmount " << dir_ << ": " << std::generic_category().message(errno) << "\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (isMountPoint(dir_)) std::cerr << "TmpfsMount: " << dir_ << " is still listed in /proc/mounts\n";
}

bool TmpfsMount::isMountPoint(const fs::path& dir) {
  std::ifstream in("/proc/mounts");
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string device, mountPoint;
    words >> device >> mountPoint;
    if (unescapeMountPath(mountPoint) == dir.string()) return true;
  }
  return false;
}

TmpdirOnTmpfs::TmpdirOnTmpfs(std::uint64_t bytes) {
  if (::geteuid() != 0) return;
  const char* base = std::getenv("TMPDIR");
  if (base != nullptr) oldTmpdir_ = base;
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/fsrelay-tmpfs-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return;
  dir_ = templ;
  try {
    mount_.emplace(dir_, bytes);
  } catch (const std::system_error&) {
    ::rmdir(dir_.c_str());  // not allowed to mount here: the tests run on disk as usual
    dir_.clear();
    return;
  }
  ::setenv("TMPDIR", dir_.c_str(), 1);
}

TmpdirOnTmpfs::~TmpdirOnTmpfs() {
  if (!mount_) return;
  if (oldTmpdir_)
    ::setenv("TMPDIR", oldTmpdir_->c_str(), 1);
  else
    ::unsetenv("TMPDIR");
  mount_.reset();
  ::rmdir(dir_.c_str());
}

}  // namespace fsrelay::test
