// Pure helpers of the command plugin: the include filter, argv and environment per run. (Words are split
// with kit::splitWords, paths checked with kit::safeRelativePath: fsrelay/plugin_kit.hpp.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <fsrelay/plugin.hpp>

// C++17 on purpose: the plugin target only requires cxx_std_17.
namespace fsrelay::command {

// ROOT/REL, or ROOT itself for ".".
std::string absolutePath(std::string_view root, std::string_view rel);

// The pattern with every "." outside a [...] class and not escaped turned into [\s\S]: ECMAScript's "."
// does not match \n or \r, and file names may contain them ("(.*)\.php" must match "a\nb.php").
std::string dotMatchesAll(std::string_view pattern);

// sersync's <filter start="true"><include expression="..."/></filter>: a path is run only when one of the
// ECMAScript regexes matches the whole absolute path (bytes; no UTF-8 decoding). Off: everything runs.
class IncludeFilter {
 public:
  IncludeFilter() = default;  // off
  // nullopt with *error naming the bad expression; on with no expression is an error (nothing would run).
  static std::optional<IncludeFilter> compile(bool on, const std::vector<std::string>& expressions,
                                              std::string* error);
  bool on() const { return on_; }
  // A regex that gives up (std::regex_error: too complex for this path) counts as no match.
  bool matches(std::string_view absPath) const;

 private:
  bool on_ = false;
  std::vector<std::regex> regexes_;
};

// What one run tells the command (FSRELAY_OP). Sync: a full sync of the root (param.fullSync).
enum class RunOp : std::uint8_t { Upsert, Delete, Move, Sync };
const char* opName(RunOp op);  // "upsert", "delete", "move", "sync"

// Everything about the command that does not depend on a batch; built once from the settings.
struct CommandSpec {
  std::vector<std::string> prefix;  // argv[0] and the words before the path(s)
  std::vector<std::string> suffix;  // words after the path(s)
  bool placeholders = false;        // substitute {op} {path} ... in the words; the path is not added
  bool batch = false;               // many paths per run
  bool deletes = true;              // run for deletions at all
  std::size_t batchMax = 1000;      // at most this many paths per run in batch mode
  std::size_t argBytesMax = 256 * 1024;  // argv + environment strings per run (ARG_MAX is 2 MiB and more)
};

// One change as the command sees it (moves may be reduced to a delete or an upsert by the filter).
struct Change {
  RunOp op = RunOp::Upsert;
  std::string rel;     // relative to the root; "." for the root
  std::string oldRel;  // Move only
  bool isDir = false;
};

// Substitutes {op} {path} {relpath} {oldpath} {oldrelpath} {root} {isdir} in one word, in one pass
// (a file name containing "{op}" is not substituted again). Other braces stay as they are.
std::string substitute(std::string_view word, std::string_view root, const Change& change);

// prefix ABS_PATH suffix; with placeholders: prefix and suffix words substituted, no path added.
std::vector<std::string> changeArgv(const CommandSpec& spec, std::string_view root, const Change& change);

// FSRELAY_OP, FSRELAY_ROOT, FSRELAY_PATH, FSRELAY_OLD_PATH (moves, else empty), FSRELAY_IS_DIR (0|1),
// FSRELAY_COUNT (1). All are always set so nothing leaks in from fsrelay's own environment.
std::vector<std::string> changeEnv(std::string_view root, const Change& change);

// One child process to start.
struct Invocation {
  std::vector<std::string> argv;
  std::vector<std::string> env;      // NAME=VALUE, added to fsrelay's environment
  std::vector<std::size_t> events;   // indexes into the batch's events this run stands for
  std::size_t pathCount = 0;
  int phase = 0;                     // runs of phase 0 (deletions) all finish before phase 1 starts
};

struct Plan {
  std::vector<Invocation> runs;
  std::vector<std::size_t> rejected;  // events with an unsafe path: never run
  std::size_t filtered = 0;           // events the include filter (or deletes=false) left out
};

// Per event (default): one run per change, a move whose two sides both match as one "move" run; a move
// with only its new path matching is an upsert of it, with only its old path matching a delete of that.
// Batch: moves become delete(old) + upsert(new); deletions and upserts go to separate runs (FSRELAY_OP
// says which), each with at most batchMax paths and argBytesMax bytes; directories and files together.
// Deletions are phase 0, everything else phase 1, in the batch's order within each.
Plan planChanges(const CommandSpec& spec, const IncludeFilter& filter, std::string_view root,
                 const sdk::Event* events, std::size_t count);

// The run for a full sync (param.fullSync): the root as the path, FSRELAY_OP=sync, FSRELAY_PATH=".".
Invocation planFullSync(const CommandSpec& spec, std::string_view root);

// How a run ended, reduced to what the host needs.
struct Verdict {
  sdk::Status status = sdk::Status::Ok;  // of the events the run stands for
  bool failed = false;                   // counted as a failure (even when ignoreError makes it Ok)
  std::string meaning;                   // "exit 0", "exit 3", "killed by signal 9", "timed out", ...
};

// Exit 0 is Ok. A non-zero exit, a signal or a timeout: Retry, or Ok when ignoreError. A program that
// cannot be started is Fail whatever ignoreError says: retrying will not make it appear.
Verdict classifyRun(int exitCode, int termSignal, bool timedOut, bool spawnFailed, bool ignoreError);

}  // namespace fsrelay::command
