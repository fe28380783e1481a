// Pure helpers of the rsync plugin: argv and stdin payloads, exit-code verdicts (no I/O). commonParams are
// split with kit::splitWords, paths checked with kit::safeRelativePath (fsrelay/plugin_kit.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fsrelay/plugin.hpp>

// C++17 on purpose: the plugin target only requires cxx_std_17, and third parties copy this pattern.
namespace fsrelay::rsync {

// Everything a command needs besides the batch; built once from the instance's settings.
struct Remote {
  std::string rsyncPath = "rsync";     // argv[0]
  std::vector<std::string> params;     // commonParams, already split (not yet cleaned)
  std::string ip;                      // host name or address; an IPv6 literal gets brackets
  std::string name;                    // daemon module (optionally module/sub) or remote path (ssh)
  std::string user;                    // auth_users: "" = none
  std::string passwordFile;            // daemon mode only; "" = none
  std::optional<std::int64_t> port;    // daemon: --port=N; ssh: -e "ssh -p N"
  std::optional<std::int64_t> timeoutS;  // --timeout=N
  bool ssh = false;
  bool propagateDeletes = true;
  bool quiet = true;                   // append -q so the bounded output buffer keeps errors, not -v chatter
  bool fastHandshake = true;           // change batches speak protocol 29 (see needsModernProtocol)
};

// Why change batches use --protocol=29: from protocol 30 on, the daemon answers the client's arguments
// with three small writes (compat flags, then the checksum list) that Nagle holds until the client's
// delayed ACK, 40 ms, on any daemon without `socket options = TCP_NODELAY`. Measured on a loopback
// daemon, one-file changes to two modules: protocol 32 median 56 ms (34 of 40 stalled), protocol 29
// median 17 ms (0 of 40). Protocol 29 lacks ACLs and xattrs, so params asking for them keep the default;
// and deleting a path whose parent is gone on the receiver fails there (exit 23, where protocol 32 says
// 24, vanished), so batches that delete keep the default too, and the plugin reruns a protocol-29 run
// that ended in 23 at once with the default (a listed path can vanish with its parent meanwhile).
bool needsModernProtocol(const std::vector<std::string>& params);

// "[user@]ip::name/" (daemon) or "[user@]ip:name/" (ssh).
std::string targetString(const Remote& remote);

// True when params already choose the remote shell (-e/--rsh, also inside a short-option cluster).
bool paramsSetRemoteShell(const std::vector<std::string>& params);

// The first word of params that makes rsync read filter rules from a file (--exclude-from, --include-from,
// -F, a merge or dir-merge --filter/-f rule), or "" when there is none. Our --from0 (needed for names
// with newlines) also makes rsync read those files NUL-separated: a normal one-rule-per-line file then
// silently turns into one bogus rule, so such params are refused instead.
std::string ruleFileOption(const std::vector<std::string>& params);

// Removes the deletion options from params: all of them (--del, --delete, --delete-*) when
// keepRefinements is false; only --del and --delete (which we add ourselves) when it is true.
std::vector<std::string> stripDeleteOptions(const std::vector<std::string>& params, bool keepRefinements);
// Drops -u/--update (also from bundles such as sersync's -artuz): the targets must end equal to the source,
// and an older file renamed or restored over a newer one would otherwise never arrive.
std::vector<std::string> stripUpdateOption(const std::vector<std::string>& params);

// Escapes a literal name for an rsync filter pattern. rsync matches a pattern without any of * ? [
// literally (a backslash in it is an ordinary byte); with one of them it uses wildmatch, where a
// backslash escapes. So: no wildcard -> unchanged; otherwise \ * ? [ get a backslash.
std::string escapeFilterLiteral(std::string_view name);

// The root itself may be Upserted ("."): with -d rsync then also sends the root's direct children.
// Above this many distinct top-level names the limiting filter rules are left out (correct, just slower).
constexpr std::size_t kMaxRootRules = 1000;

// Whether a path (relative to the root) lies below an entry that is not a directory on the source now:
// a symlink or file where a directory was. The plugin answers it with lstat (rsync_plugin.cpp).
using BelowNonDirectory = std::function<bool(std::string_view relativePath)>;

// What one Changes batch turns into.
struct ChangeList {
  std::string payload;            // NUL-terminated relative paths for --files-from=- --from0
  std::size_t pathCount = 0;
  bool rootListed = false;        // "." is in payload
  std::vector<std::string> rootRules;  // --include=/NAME ... --exclude=/* limiting what "." expands to
  std::vector<std::size_t> rejected;   // indexes of events with a path that must never reach rsync
  std::size_t skippedDeletes = 0; // deletes left out (propagateDeletes false, or the root itself)
  bool hasDeletes = false;        // a Delete or a Move's old path is listed
  std::size_t leftOut = 0;        // paths below a non-directory, not listed (see buildChangeList)
};

// A path below a source entry that is no longer a directory is left out: that entry's own change
// replaces the target's whole old directory (--force), and listed next to it, or after it, the path
// makes rsync treat the entry as the path's implied parent directory: it keeps or remakes the old
// directory and exits 24 (symlink), or fails with 23 "Not a directory" on every attempt (file).
ChangeList buildChangeList(const sdk::Event* events, std::size_t count, bool propagateDeletes,
                           const BelowNonDirectory& belowNonDirectory = {});

// rsync PARAMS [-q] --no-r|-r -d -I --force --from0 --files-from=- --delete-missing-args|--ignore-missing-args
//   [transport options] [--timeout=N] [root rules] ROOT/ TARGET
std::vector<std::string> changesArgv(const Remote& remote, std::string_view root, const ChangeList& list);

// What follows a change run that spoke --protocol=29 and ended with exitCode.
struct ProtocolFallback {
  bool rerunNow = false;     // run the same list again at once with the default protocol
  bool defaultUntilOk = false;  // and keep to the default protocol until a run succeeds
};
// 23: a listed path vanished with its parent, which only protocol 29 fails on. 12: the receiver failed
// (measured with a full disk): under protocols 29 and 30 its side lingers 30 s before the session ends
// with "connection unexpectedly closed", where 31 and later exit 11 in 0.2 s with the cause (rsync
// 3.5.0). The rerun reports the cause, and while the target keeps failing, its retries do not pay the
// 30 s again.
ProtocolFallback protocolFallback(int exitCode);

// rsync PARAMS [-q] -r [--delete] --force [transport options] [--timeout=N] --from0 --exclude-from=- ROOT/ TARGET
// progress: --info=progress2 (see rsync_progress_format.hpp) instead of -q, which would silence it, and
// --no-motd, which -q also implied.
std::vector<std::string> fullSyncArgv(const Remote& remote, std::string_view root, bool progress = false);

// rsync PARAMS [-q] --no-r -d|-r --delete --from0 --files-from=- --ignore-missing-args [transport options]
//   [--timeout=N] RULES --include=.*.?????? --exclude=* ROOT/ TARGET: the temp-file sweep (rsync_sweep.hpp).
// A user's delete options are dropped (ours is the point of the run), and so is -u.
std::vector<std::string> sweepArgv(const Remote& remote, std::string_view root, bool wholeTree,
                                   const std::vector<std::string>& rules);

// NUL-terminated "- RULE" lines for --exclude-from=- --from0. A concrete path becomes an anchored,
// escaped "/path" ("/path/" for a directory); a glob is passed as is. The "- " prefix keeps a glob that
// starts with "+ ", "- ", "#" or ";" an exclude instead of an include or a comment.
std::string excludePayload(const sdk::Exclude* excludes, std::size_t count);

// How an rsync run ended, reduced to what the host needs.
struct Verdict {
  sdk::Status status;
  std::string meaning;  // e.g. "exit 5: error starting client-server protocol"
};

Verdict classifyExit(int exitCode, int termSignal, bool timedOut, bool spawnFailed);

// The last non-empty lines of rsync's output (at most maxLines, joined by " | ", at most maxBytes),
// with control bytes and invalid UTF-8 shown as \xNN so the result is one printable line.
std::string outputTail(std::string_view output, std::size_t maxLines, std::size_t maxBytes);

// "rsync to TARGET failed: MEANING: TAIL" (TAIL left out when empty). TAIL is the last two non-empty
// lines, or, when the cause rsync named (the first "@ERROR..." line, else the first "rsync: ..." line) is
// not among them, that line and the last one.
std::string failureMessage(std::string_view target, const Verdict& verdict, std::string_view output);

}  // namespace fsrelay::rsync
