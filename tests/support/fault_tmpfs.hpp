// A small tmpfs mounted over a test directory (a target disk that fills up), always unmounted afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace fsrelay::test {

class TmpfsMount {
 public:
  // mount(2) of a tmpfs of `bytes` over dir (which must exist). Throws std::system_error (EPERM when not
  // allowed to mount: not root, or a container without CAP_SYS_ADMIN).
  TmpfsMount(std::filesystem::path dir, std::uint64_t bytes);
  // Unmounts, pass or fail: retries for a few seconds while a process still uses it (EBUSY), then detaches
  // it lazily (MNT_DETACH), so it is gone from /proc/mounts before the temp dir is removed. Never throws.
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  // mount -o remount,size=BYTES: "space was freed".
  void resize(std::uint64_t bytes);
  // Unmounts now (see the destructor); idempotent.
  void unmount();
  const std::filesystem::path& dir() const { return dir_; }

  // /proc/mounts lists dir as a mount point.
  static bool isMountPoint(const std::filesystem::path& dir);

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
};

// While it lives, $TMPDIR names a fresh tmpfs, so the TempDirs (and Scenarios) made meanwhile live in
// memory. For tests that keep many thousands of files longer than the kernel's writeback delay (30 s):
// once written back, removing them costs about 3 ms a file on this machine kind's disk, a minute for the
// 15,000 files of the remote-down test. Only as root; elsewhere nothing changes (active() is false).
class TmpdirOnTmpfs {
 public:
  explicit TmpdirOnTmpfs(std::uint64_t bytes);
  ~TmpdirOnTmpfs();  // restores $TMPDIR, unmounts, removes the mount point
  TmpdirOnTmpfs(const TmpdirOnTmpfs&) = delete;
  TmpdirOnTmpfs& operator=(const TmpdirOnTmpfs&) = delete;

  bool active() const { return mount_.has_value(); }

 private:
  std::filesystem::path dir_;
  std::optional<TmpfsMount> mount_;
  std::optional<std::string> oldTmpdir_;
};

}  // namespace fsrelay::test
