// One watched root inside the engine: its watcher, coalescer and the targets it feeds (engine-internal).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/engine/engine.hpp"

namespace fsrelay {

// How many unwatched directories the status names (the count is always complete).
constexpr std::size_t kStatusUnwatchedMax = 100;

struct Engine::Root {
  LocalPathConf conf;  // only watch is used: a root may come from <sersync> or from a plugin section
  std::unique_ptr<Watcher> watcher;  // chosen in Engine::prepare() once every root is known
  std::string watcherNote;  // why auto did not pick fanotify, if it did not
  // False until prepare() has set the watcher (a plugin may ask for the status before that).
  bool usesFanotify() const { return watcher && std::string_view(watcher->backend()) == "fanotify"; }
  std::unique_ptr<Coalescer> coalescer;
  std::unique_ptr<Sink> sink;
  std::vector<Target*> targets;
  bool overflowed = false;
  bool rootReturned = false;  // the overflow is the root coming back after it was removed or moved away
  bool fullSyncJournaled = false;  // the journal holds "F root" since its last checkpoint
  std::atomic<std::size_t> watches{0};  // read by status requests on plugin threads
  // The watcher's unwatched directories (watch limit reached), copied for status requests on plugin threads.
  mutable std::mutex unwatchedMutex;
  std::vector<std::string> unwatched;  // the first kStatusUnwatchedMax
  std::size_t unwatchedCount = 0;
};

}  // namespace fsrelay
