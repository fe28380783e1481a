// One integration scenario: temp dir, source tree, a real rsync daemon, a config, and fsrelay under test.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/config_writer.hpp"
#include "tests/support/process.hpp"
#include "tests/support/rsync_daemon.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tree.hpp"

namespace fsrelay::test {

// The daemon under test: $FSRELAY_BIN when set, else the binary installed into the build's staging prefix.
std::filesystem::path fsrelayBinary();

class Scenario {
 public:
  // Makes tmp/src (watched), tmp/cwd (fsrelay's working directory), tmp/state, and starts the rsync daemon
  // with its modules under tmp/rsyncd. config is preset for them: every module a remote of src, auth,
  // port, fail log tmp/fail.log, state dir tmp/state.
  explicit Scenario(RsyncDaemonOptions daemonOptions = {});
  // Stops fsrelay, then the daemon (both by PID), then removes tmp. Prints both logs' tails when the test failed.
  ~Scenario();

  TempDir tmp;
  std::filesystem::path src;
  std::filesystem::path cwd;
  std::filesystem::path failLog;
  std::filesystem::path configPath;
  RsyncDaemon daemon;
  ConfigWriter config;

  // Writes config to configPath and starts `fsrelay ARGS... -o CONFIG` (default ARGS: -r), logging to tmp/fsrelay.log.
  Process& startRelay(std::vector<std::string> args = {"-r"});
  Process& relay();
  // Starts fsrelay again after the previous one exited (or was killed: it is reaped first). The log file
  // is appended to; ready() then looks only at what the new process wrote.
  Process& restartRelay(std::vector<std::string> args = {});
  std::vector<std::filesystem::path> targets() const { return daemon.moduleDirs(); }

  // fsrelay logged "ready:" (every watch in place, -r done).
  ::testing::AssertionResult ready(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Every target equals src (minus what exclude leaves out) within timeout; returns as soon as they do.
  ::testing::AssertionResult converged(std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                       const ExcludeFn& exclude = {});
  // Every target equals src right now.
  ::testing::AssertionResult equalNow(const ExcludeFn& exclude = {});
  // SIGTERM, then fsrelay must exit with status 0 within timeout.
  ::testing::AssertionResult terminatesCleanly(std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  std::unique_ptr<Process> relay_;
  std::size_t logOffset_ = 0;  // where the current process's part of the log begins
};

}  // namespace fsrelay::test
