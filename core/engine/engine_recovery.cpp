// Start-up after a previous run: replay the journal's pending changes, reconcile what changed meanwhile.
#include <sys/stat.h>

#include "core/engine/engine.hpp"
#include "core/engine/engine_root.hpp"
#include "core/log/log.hpp"
#include "core/util/escape.hpp"
#include "core/util/metrics.hpp"
#include "core/watch/tree_walk.hpp"

namespace fsrelay {
namespace {

std::int64_t changeNs(const struct stat& st) {
  auto ns = [](const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; };
  return std::max(ns(st.st_mtim), ns(st.st_ctim));
}

// The path as it is now: an Upsert when it exists, a Delete when it is gone ("make the target equal").
PendingChange asItIsNow(const std::string& root, const std::string& rel) {
  struct stat st;
  std::string abs = rel == "." ? root : root + "/" + rel;
  if (::lstat(abs.c_str(), &st) == 0) return PendingChange{sdk::Op::Upsert, S_ISDIR(st.st_mode), rel, {}, changeNs(st)};
  return PendingChange{sdk::Op::Delete, false, rel, {}, 0};
}

}  // namespace

std::vector<PendingChange> Engine::changedSince(const Root& root, std::int64_t sinceNs, bool* dirChanged) const {
  std::vector<PendingChange> out;
  struct stat st;
  if (::lstat(root.conf.watch.c_str(), &st) == 0 && changeNs(st) >= sinceNs) {
    log::debug("reconcile: the root itself changed at ", changeNs(st), " (checkpoint ", sinceNs, ")");
    *dirChanged = true;
  }
  walkTree(root.conf.watch, "", filter_, config_.xfs, [&](const WalkEntry& e) {
    if (e.excluded) return false;
    std::string rel(e.rel);
    if (::lstat((root.conf.watch + "/" + rel).c_str(), &st) != 0) return true;  // gone meanwhile: its dir changed
    if (changeNs(st) >= sinceNs) {
      out.push_back(PendingChange{sdk::Op::Upsert, S_ISDIR(st.st_mode), rel, {}, changeNs(st)});
      if (S_ISDIR(st.st_mode)) *dirChanged = true;
      log::debug("reconcile: ", escapeBytes(rel), " changed at ", changeNs(st), " (checkpoint ", sinceNs, ")");
    }
    return true;
  });
  return out;
}

void Engine::recover(const JournalState& previous) {
  for (const auto& [root, paths] : previous.pending) {
    bool known = false;
    for (const auto& r : roots_) known = known || r->conf.watch == root;
    if (!known) log::warn("journal: ", paths.size(), " changes pending under ", escapeBytes(root), ", which is no longer watched; dropped");
  }
  for (auto& root : roots_) {
    std::vector<PendingChange> changes;
    auto it = previous.pending.find(root->conf.watch);
    if (it != previous.pending.end())
      for (const auto& p : it->second) changes.push_back(asItIsNow(root->conf.watch, p));
    std::size_t fromJournal = changes.size();
    bool fullSync = false;
    std::string why;
    if (options_.fullSync) {
      // -r already makes every target equal; the pending changes still go to plugins that do not sync.
    } else if (previous.fullSync.count(root->conf.watch)) {
      fullSync = true;
      why = "a full sync of it was under way when the previous run ended";
    } else if (previous.checkpointNs) {
      bool dirChanged = false;
      auto t0 = std::chrono::steady_clock::now();
      auto found = changedSince(*root, *previous.checkpointNs, &dirChanged);
      log::info("reconciled ", escapeBytes(root->conf.watch), " against the last checkpoint in ",
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count(),
                " ms: ", found.size(), " entries changed since", dirChanged ? ", and directories changed (entries may be gone)" : "");
      for (auto& c : found) changes.push_back(std::move(c));
      if (dirChanged) {
        fullSync = true;
        why = "a directory changed while fsrelay was not watching";
      }
    } else if (previous.existed) {
      fullSync = true;
      why = "the previous run stopped before its first checkpoint";
    } else if (reloaded_) {
      fullSync = true;  // a new state folder: no checkpoint covers the gap between the two engines
      why = "the reloaded configuration uses a state folder without a checkpoint";
    }
    if (fromJournal > 0)
      log::info("journal: ", fromJournal, " changes under ", escapeBytes(root->conf.watch),
                " were accepted but maybe not delivered before the previous run ended; sending them again");
    metrics::add("recovered_changes", static_cast<std::int64_t>(changes.size()));
    if (!changes.empty()) enqueueEach(root->targets, std::move(changes));
    if (fullSync) {
      log::info("full sync of ", escapeBytes(root->conf.watch), " to each of its targets: ", why);
      for (auto* t : root->targets) t->requestFullSync();
    }
  }
}

}  // namespace fsrelay
