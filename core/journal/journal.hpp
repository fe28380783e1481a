// The journal: changes accepted from the watchers and the last checkpoint, on disk, so that a crash
// (kill -9, power loss) loses nothing. See docs/journal.md for how a restart uses it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fsrelay {

// What a previous run left behind.
struct JournalState {
  bool existed = false;                    // a journal file was there
  std::optional<std::int64_t> checkpointNs;  // every change before this wall time had reached every target
  std::map<std::string, std::set<std::string>> pending;  // root -> paths accepted after the checkpoint
  std::set<std::string> fullSync;  // roots whose full sync was requested and not known to be done
};

// Append-only text file (mode 0600): "+\tROOT\tPATH" for an accepted change, "F\tROOT" for a full sync
// requested, "C\tNS" for a checkpoint (which forgets every record before it).
// Appends are group-committed (one write and fdatasync per flush); a checkpoint rewrites the file
// atomically as the single line "C\tNS", which also keeps it small. A torn last line (power loss
// mid-append) is skipped with a warning. Single-threaded: the engine's loop owns it.
class Journal {
 public:
  explicit Journal(std::string path) : path_(std::move(path)) {}
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Reads the previous run's state, then opens the file for appending. False (with *error) when the
  // journal cannot be used at all; fsrelay then runs without one and says so.
  bool open(JournalState* previous, std::vector<std::string>* warnings, std::string* error);
  void record(const std::string& root, const std::string& path);
  // A full sync of root was requested: until a checkpoint says otherwise, a restart must run it again
  // (its files have no records of their own, and may predate the last checkpoint).
  void recordFullSync(const std::string& root);
  // Writes what record() buffered when the last flush is at least windowMs old (or force); fdatasync.
  void flush(std::int64_t nowMs, bool force = false);
  // Everything accepted before ns has reached every target (or the fail log), except stillPending (root,
  // path): forget the rest. With stillPending a busy daemon that is never idle keeps its journal bounded.
  void checkpoint(std::int64_t ns, const std::vector<std::pair<std::string, std::string>>& stillPending = {},
                  const std::vector<std::string>& fullSyncRoots = {});
  bool dirty() const { return dirty_; }     // records since the last checkpoint
  std::size_t recordsSinceCheckpoint() const { return records_; }
  bool healthy() const { return !failed_; } // the last write succeeded
  const std::string& path() const { return path_; }

  static constexpr std::int64_t kWindowMs = 20;

 private:
  bool writeAll(int fd, const std::string& data);
  void onWriteError(const std::string& what);
  // Empties the write buffer; one a burst grew (tens of bytes a path, a flush window's worth) goes back.
  void dropBuffer();

  std::string path_;
  int fd_ = -1;
  std::string buffer_;
  std::int64_t lastFlushMs_ = 0;
  bool dirty_ = false;
  bool failed_ = false;
  std::size_t records_ = 0;
};

}  // namespace fsrelay
