// Backend selection: configuration, then the FSRELAY_WATCHER override, then a real try of fanotify.
#include "core/watch/watcher_factory.hpp"

#include <cstdlib>

#include "core/log/log.hpp"
#include "core/util/escape.hpp"
#include "core/watch/fanotify_watcher.hpp"
#include "core/watch/inotify_watcher.hpp"

namespace fsrelay {

std::optional<WatcherBackend> parseWatcherBackend(std::string_view text) {
  if (text == "auto") return WatcherBackend::Auto;
  if (text == "inotify") return WatcherBackend::Inotify;
  if (text == "fanotify") return WatcherBackend::Fanotify;
  return std::nullopt;
}

const char* watcherBackendName(WatcherBackend b) {
  switch (b) {
    case WatcherBackend::Auto: return "auto";
    case WatcherBackend::Inotify: return "inotify";
    case WatcherBackend::Fanotify: return "fanotify";
  }
  return "?";
}

WatcherChoice makeWatcher(WatcherBackend configured, const std::string& root, const Filter& filter,
                          const InotifyToggles& toggles, bool forceStat) {
  WatcherChoice out;
  WatcherBackend backend = configured;
  std::string source = "<watcher backend=\"" + std::string(watcherBackendName(configured)) + "\">";
  if (const char* env = std::getenv("FSRELAY_WATCHER"); env && *env) {
    auto parsed = parseWatcherBackend(env);
    if (!parsed) {
      out.error = log::cat("FSRELAY_WATCHER=", escapeBytes(env), " is not a watcher backend (expected auto, inotify "
                           "or fanotify)");
      return out;
    }
    backend = *parsed;
    source = log::cat("FSRELAY_WATCHER=", env);
  }
  if (backend != WatcherBackend::Inotify) {
    std::string why = FanotifyWatcher::unavailableReason(root);
    if (why.empty()) {
      out.watcher = std::make_unique<FanotifyWatcher>(root, filter, toggles, forceStat);
      return out;
    }
    if (backend == WatcherBackend::Fanotify) {
      out.error = log::cat(source, " asks for fanotify, which cannot watch ", escapeBytes(root), ": ", why,
                           " (use backend=\"auto\" or \"inotify\")");
      return out;
    }
    out.note = log::cat(escapeBytes(root), ": using inotify, as fanotify cannot watch it: ", why);
  }
  out.watcher = std::make_unique<InotifyWatcher>(root, filter, toggles, forceStat);
  return out;
}

}  // namespace fsrelay
