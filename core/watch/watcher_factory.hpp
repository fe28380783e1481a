// Picks the watcher backend of a root: <fsrelay><watcher backend>, FSRELAY_WATCHER, and what the kernel allows.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/config.hpp"
#include "core/filter/filter.hpp"
#include "core/watch/watcher.hpp"

namespace fsrelay {

// "auto", "inotify" or "fanotify"; nullopt for anything else.
std::optional<WatcherBackend> parseWatcherBackend(std::string_view text);
const char* watcherBackendName(WatcherBackend b);

struct WatcherChoice {
  std::unique_ptr<Watcher> watcher;  // null: error says why
  std::string note;   // auto chose inotify: why fanotify was not used (logged once, printed by --check)
  std::string error;  // a forced backend that cannot be used, or a bad FSRELAY_WATCHER
};

// The environment variable FSRELAY_WATCHER, when set, overrides the configured backend (for tests and
// troubleshooting). auto: fanotify when this kernel, this process and this root's file system allow it.
WatcherChoice makeWatcher(WatcherBackend configured, const std::string& root, const Filter& filter,
                          const InotifyToggles& toggles, bool forceStat);

}  // namespace fsrelay
