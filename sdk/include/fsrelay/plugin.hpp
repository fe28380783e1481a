// The fsrelay plugin interface: the only header a plugin includes (in-tree or third-party).
#pragma once

#include <cstddef>
#include <cstdint>

// Boost.DLL 1.74's headers use std::vector/std::string without including them.
#include <string>
#include <vector>
#include <boost/dll/alias.hpp>

// Versioning rules. The host loads a plugin only when its API major equals the host's (the major is
// part of the exported alias name), its minor is not newer than the host's, and its ABI tag matches.
// All three are read from the library's export table before any plugin code runs.
#define FSRELAY_SDK_API_MAJOR 1
#define FSRELAY_SDK_API_MINOR 1

// Itanium C++ ABI, libstdc++'s C++11 string ABI and 64-bit pointers are what the boundary below
// assumes (vtable layout of the interfaces). A plugin built otherwise gets another tag and is refused.
#if defined(__GXX_ABI_VERSION) && defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI && \
    defined(__LP64__)
#define FSRELAY_SDK_ABI_TOKEN itanium_cxx11_lp64
#elif defined(__GXX_ABI_VERSION) && defined(__LP64__)
#define FSRELAY_SDK_ABI_TOKEN itanium_lp64
#else
#define FSRELAY_SDK_ABI_TOKEN unknown
#endif

#define FSRELAY_SDK_STR2(x) #x
#define FSRELAY_SDK_STR(x) FSRELAY_SDK_STR2(x)
#define FSRELAY_SDK_CAT6_(a, b, c, d, e, f) a##b##c##d##e##f
#define FSRELAY_SDK_CAT6(a, b, c, d, e, f) FSRELAY_SDK_CAT6_(a, b, c, d, e, f)
// fsrelay_stamp_v<major>_<minor>_abi_<tag>: the host parses this name from the export table.
#define FSRELAY_SDK_STAMP_NAME \
  FSRELAY_SDK_CAT6(fsrelay_stamp_v, FSRELAY_SDK_API_MAJOR, _, FSRELAY_SDK_API_MINOR, _abi_, FSRELAY_SDK_ABI_TOKEN)
#define FSRELAY_SDK_ENTRY_NAME FSRELAY_SDK_CAT6(fsrelay_plugin_api_v, FSRELAY_SDK_API_MAJOR, , , , )
#define FSRELAY_SDK_ABI_TAG FSRELAY_SDK_STR(FSRELAY_SDK_ABI_TOKEN)

namespace fsrelay::sdk {

// A view of bytes owned by the caller; valid only for the duration of the call it is passed to.
// File names are bytes, never assumed to be UTF-8, and are not NUL-terminated.
struct Bytes {
  const char* data;
  std::size_t size;
};

enum class Op : std::uint8_t {
  Upsert = 1,  // the path was created or changed: make the target's copy equal to the source's
  Delete = 2,  // the path (and, for a directory, its subtree) is gone from the source
  Move = 3,    // old_path was renamed to path within the same root
};

enum class BatchKind : std::uint8_t {
  Changes = 1,   // events[] lists the changed paths
  FullSync = 2,  // make the whole root equal on the target; excludes[] lists what the host's filter skips
};

enum class Status : std::uint8_t {
  Ok = 0,     // delivered
  Retry = 1,  // a passing fault (target down, timeout): the host retries with backoff
  Fail = 2,   // will not succeed by retrying (bad arguments): the host writes it to the fail log
};

enum class LogLevel : std::uint8_t { Error = 0, Warn = 1, Info = 2, Debug = 3 };

struct Event {
  Op op;
  std::uint8_t is_dir;    // 1 for a directory
  Bytes path;             // relative to the batch's root, no leading "/", never "" (the root itself is ".")
  Bytes old_path;         // Move only; otherwise {nullptr, 0}
  std::int64_t time_ns;   // CLOCK_REALTIME of the last source event that made this change
};

struct Exclude {
  Bytes pattern;          // relative path (is_glob = 0) or an rsync-style glob (is_glob = 1)
  std::uint8_t is_glob;
  std::uint8_t is_dir;    // the path is a directory: its whole subtree is excluded
};

// A Changes batch names every changed path: when a directory appears (created, moved in, or renamed
// within the root), the host also sends an Upsert for each entry below it, so no plugin needs to recurse.
struct Batch {
  BatchKind kind;
  Bytes root;             // absolute path of the watched root, no trailing "/"
  const Event* events;
  std::size_t event_count;
  const Exclude* excludes;  // FullSync only
  std::size_t exclude_count;
  std::uint64_t id;       // unique per host process, for log correlation
};

// Per-event outcome, for a plugin that can tell which events of a batch failed. A plugin that does not
// call it reports the batch as a whole through deliver's return value.
class Report {
 public:
  // Called from the thread running deliver(), before it returns. index is into Batch::events.
  virtual void eventStatus(std::size_t index, Status status) noexcept = 0;
  // One line saying why the batch (or its failed events) failed; copied by the host, may be called once.
  virtual void message(Bytes text) noexcept = 0;

 protected:
  ~Report() = default;
};

struct SpawnRequest {
  const char* const* argv;   // argv[0] is looked up in PATH; NULL-terminated. Never passed to a shell.
  Bytes stdin_data;          // written to the child's stdin, then stdin is closed
  const char* cwd;           // nullptr: the host's working directory
  std::uint32_t timeout_ms;  // 0: none. On timeout the child gets SIGTERM, then SIGKILL after 2 s.
  char* output;              // buffer owned by the caller for stdout and stderr, merged; may be nullptr
  std::size_t output_capacity;
  const char* const* env;    // extra NAME=VALUE entries added to the host's environment; NULL-terminated or nullptr
};

struct SpawnResult {
  int exit_code;             // -1 when the child did not exit normally
  int term_signal;           // 0 unless killed by a signal
  std::uint8_t timed_out;
  std::uint8_t spawn_failed; // the program could not be started (output holds why)
  std::size_t output_size;   // bytes written into SpawnRequest::output: the LAST output_capacity bytes of the
                             // output (a program says why it failed at the end)
};

enum class SnapshotKind : std::uint8_t {
  StatusJson = 1,   // one JSON object: roots, targets (queue depth, in flight, last error, ...), fail log, counters
  MetricsText = 2,  // Prometheus text exposition format 0.0.4
};

// Receives a snapshot's bytes; called once, on the thread that asked, before snapshot() returns.
using SnapshotSink = void (*)(void* context, Bytes data);

// Receives a running child's output (stdout and stderr merged) as it arrives, in pieces of any size that
// follow no line boundary (API 1.1). Called on the thread that called spawnStreaming(), never after it
// returned; chunk is valid only during the call. It should return quickly: the child blocks while it runs.
using OutputSink = void (*)(void* context, Bytes chunk);

// How far a long delivery has come (API 1.1), e.g. a full sync: counts since the delivery started.
struct Progress {
  std::uint64_t files_done;   // entries checked or sent so far
  std::uint64_t files_total;  // entries known so far; 0: unknown
  std::uint64_t bytes_done;   // bytes sent so far
  std::uint64_t bytes_total;  // 0: unknown (an estimate is fine)
  std::uint8_t totals_final;  // 0 while the totals still grow (the list of files is still being built)
};

// Services the host gives every plugin. Implemented by the host; all methods are thread-safe and may be
// called from any thread the plugin owns, at any time between create() and destroy().
class Host {
 public:
  virtual void log(LogLevel level, Bytes message) noexcept = 0;
  // Runs a program without a shell and waits for it. Blocks the calling thread; returns early (with the
  // child killed) when the host is stopping and the shutdown deadline has passed.
  virtual void spawn(const SpawnRequest& request, SpawnResult* result) noexcept = 0;
  // Adds delta to a named counter (metrics). name is ASCII, [a-z0-9_].
  virtual void count(const char* name, std::int64_t delta) noexcept = 0;
  // True once the host has begun shutting down (SIGTERM). It is still flushing pending changes, so keep
  // delivering them; only skip optional extra work.
  virtual bool stopping() const noexcept = 0;
  // True once the shutdown deadline has passed: return from deliver() as soon as possible, reporting what
  // was not done as Retry (the host keeps it in the fail log for the next start).
  virtual bool aborting() const noexcept = 0;
  // The daemon's state as a document (see SnapshotKind), for endpoints that report it.
  virtual void snapshot(SnapshotKind kind, SnapshotSink sink, void* context) noexcept = 0;
  // Asks for a full sync of one watched root ({nullptr, 0}: every root), to every target of it or only to
  // the targets whose name contains target ({nullptr, 0}: all). Returns false with a reason in error (NUL-
  // terminated) when nothing matched. Returns at once; the syncs run on the targets' own threads.
  virtual bool requestFullSync(Bytes root, Bytes target, char* error, std::size_t error_capacity) noexcept = 0;

  // ---- API 1.1. A plugin built against 1.1 or later calls these only when CreateArgs::host_api_minor >= 1:
  // a 1.0 host's vtable ends above, and calling them there jumps into garbage. New methods go at the end.

  // spawn(), but output also goes to sink(context, chunk) as the child writes it, on the calling thread,
  // before spawnStreaming() returns (request.output still receives the tail at the end, as with spawn()).
  // Blocks like spawn(); sink may be nullptr. sink must not call spawn()/spawnStreaming() itself.
  virtual void spawnStreaming(const SpawnRequest& request, OutputSink sink, void* context,
                              SpawnResult* result) noexcept = 0;
  // Reports how far the running delivery has come; the host shows it (progress bar or log lines, /status,
  // /metrics) while a full sync runs, and forgets it when the delivery returns. Copied: call it as often as
  // convenient (the host keeps the latest), from the thread running deliver(); it never blocks for long.
  virtual void progress(const Progress& progress) noexcept = 0;

 protected:
  ~Host() = default;
};

// One configured use of a plugin (for rsync: one root pushed to one remote).
class Instance {
 public:
  // Called by one host dispatch thread at a time for this instance (never concurrently); may block.
  // Bytes in the batch are valid until it returns. It should not throw: an exception that escapes is
  // caught by the host as a last resort, logged, counted (plugin_exceptions) and treated as Retry.
  virtual Status deliver(const Batch& batch, Report& report) = 0;
  // Called once, after the last deliver() has returned; the instance frees itself.
  virtual void destroy() noexcept = 0;

 protected:
  ~Instance() = default;
};

enum class KeyType : std::uint8_t { String = 1, Int = 2, Bool = 3, Path = 4 };

// A configuration key the plugin accepts. The host rejects keys not in the table, with file:line.
// Keys name XML attributes inside the plugin's <plugin name="..."> section: "ELEMENT.ATTRIBUTE", with
// nested elements joined by dots ("filter.include.expression"). Inside a <localpath watch="..."> the
// path starts below it ("cdninfo.domainname"); the localpath says which root the instance serves.
// Keys "host.hostip" and "host.port" fall back to sersync's <head><host> when the section has no <host>.
struct ConfigKey {
  const char* name;
  KeyType type;
  const char* default_value;  // nullptr: required ("" for an optional key with no value)
  const char* help;
  std::uint8_t repeated;      // 1: the element may occur several times; every value is passed, in order
};

struct Setting {
  const char* key;  // one of the declared names, NUL-terminated; a repeated key appears once per value
  Bytes value;      // defaults are filled in by the host (a repeated key without values is absent)
};

struct CreateArgs {
  // The host's API minor, never older than the plugin's (the loader refuses that). A plugin built against
  // 1.1 still checks it is >= 1 before calling Host::spawnStreaming() or Host::progress(): a test host or a
  // future loader rule may hand it an older Host.
  std::uint32_t host_api_minor;
  Host* host;                 // this instance's own Host: valid until its destroy() returns
  const Setting* settings;
  std::size_t setting_count;
  Bytes instance_name;        // e.g. "socket /srv/www -> 127.0.0.1:8009"; stable across restarts
  Bytes root;                 // the watched root this instance serves (absolute, no trailing "/")
  char* error;                // on failure, create() writes a NUL-terminated reason here
  std::size_t error_capacity;
  // 1 for `fsrelay --check`: validate the settings as usual, but open no socket and start no thread (a
  // daemon may be running with the same config); the instance is destroyed without any delivery.
  std::uint8_t check_only;
};

struct PluginDescriptor {
  std::uint32_t api_major;
  std::uint32_t api_minor;
  const char* abi_tag;
  const char* name;           // e.g. "rsync"
  const char* version;        // the plugin's own version
  const char* summary;        // one line for --list-plugins
  const ConfigKey* keys;
  std::size_t key_count;
  // Returns nullptr and writes args->error on bad settings. Called on the host's main thread, before any
  // delivery; an exception escaping it is caught by the host and reported as a setup error.
  Instance* (*create)(const CreateArgs* args);
  // Instance granularity. nullptr: one instance per watched root. "deshost": one instance per
  // <deshost> element inside each <localpath>, each with its own queue, retries and fail-log entries
  // (the element's attributes are its settings, "deshost.ip"); a localpath without one gets one instance.
  const char* instance_element;
};

using DescriptorFn = const PluginDescriptor*();

}  // namespace fsrelay::sdk

// Exports a plugin: FSRELAY_PLUGIN(fn) where fn is `const fsrelay::sdk::PluginDescriptor* fn()`.
// The second alias is a stamp whose name carries the API version and ABI tag, readable unloaded.
#define FSRELAY_PLUGIN(fn)                  \
  BOOST_DLL_ALIAS(fn, FSRELAY_SDK_ENTRY_NAME) \
  BOOST_DLL_ALIAS(fn, FSRELAY_SDK_STAMP_NAME)
