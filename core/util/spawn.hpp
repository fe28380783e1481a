// Runs a program with argv (never a shell), feeding stdin and capturing merged stdout/stderr.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace fsrelay {

struct SpawnOutcome {
  int exitCode = -1;     // -1 when it did not exit normally
  int termSignal = 0;
  bool timedOut = false;
  bool spawnFailed = false;
  std::string output;    // the last outputLimit bytes of stdout+stderr (the end says why it failed)
};

struct SpawnOptions {
  std::string_view stdinData;
  const char* cwd = nullptr;
  std::chrono::milliseconds timeout{0};       // 0: none
  std::size_t outputLimit = 16 * 1024;
  const std::atomic<bool>* abort = nullptr;   // when it turns true the child is terminated
  std::vector<std::string> env;               // NAME=VALUE added to (or replacing in) the inherited environment
  // Called with each piece of output as it is read (no line boundaries), on the calling thread; the tail is
  // still kept in SpawnOutcome::output. Lets a caller follow a long run (rsync's progress) as it goes.
  std::function<void(std::string_view chunk)> onOutput;
};

SpawnOutcome spawnProcess(const std::vector<std::string>& argv, const SpawnOptions& options);

}  // namespace fsrelay
