// Example plugin "jsonl": appends every event fsrelay delivers to a file, one JSON object per line.
//
// This is the SDK's teaching example (docs/plugins.md walks through it). It shows the whole contract:
//   1. a table of configuration keys the host validates before anything runs,
//   2. create(): turn settings into an Instance, or refuse them with a reason (permanent errors),
//   3. deliver(): handle Changes and FullSync batches, report Retry for passing faults (environment),
//   4. the descriptor and FSRELAY_PLUGIN, which export the plugin with its version stamp.
// It includes nothing from fsrelay but the SDK headers, and nothing of std crosses the boundary. The
// optional fsrelay/plugin_kit.hpp saves the small things every plugin writes (byte views, reading settings,
// the try/catch around create()); a plugin can do all of it by hand with plugin.hpp alone.
//
// Configuration (inside the config's <head>):
//   <plugin name="jsonl">
//     <output file="/var/log/fsrelay/events.jsonl" sync="false"/>
//   </plugin>
// gives the settings output.file and output.sync. Run it alone with `fsrelay -m jsonl`, or next to rsync
// with <sersync><plugin start="true" name="jsonl"/>.
//
// Output, one line per event (a FullSync batch is one line):
//   {"batch":7,"op":"upsert","root":"/srv","path":"a/b.txt","dir":false,"time_ns":1700000000123456789}
//   {"batch":8,"op":"move","root":"/srv","path":"new","old_path":"old","dir":true,"time_ns":...}
//   {"batch":9,"op":"full_sync","root":"/srv","excludes":[{"pattern":"*.tmp","glob":true,"dir":false}]}
// A name that is not valid UTF-8 is written lossy (U+FFFD) plus "<key>_b64" with its exact bytes.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include <fsrelay/json_text.hpp>   // header-only JSON helpers of the SDK: byte-safe paths
#include <fsrelay/plugin.hpp>      // the plugin interface
#include <fsrelay/plugin_kit.hpp>  // header-only conveniences of the SDK (optional)

namespace jsonl {
namespace {

namespace sdk = fsrelay::sdk;
namespace json = fsrelay::sdk::json;
namespace kit = fsrelay::sdk::kit;

constexpr char kVersion[] = "1.0.0";  // this plugin's own version, shown by `fsrelay --list-plugins`

// (1) The keys this plugin accepts. The host reads the <plugin name="jsonl"> section, maps each attribute to
// "element.attribute", rejects anything not listed here (with file:line), fills in defaults and refuses a
// missing required key (default nullptr) before create() is ever called.
const sdk::ConfigKey kKeys[] = {
    {"output.file", sdk::KeyType::Path, nullptr, "file the JSON lines are appended to (absolute path)", 0},
    {"output.sync", sdk::KeyType::Bool, "false", "fdatasync the file after every batch", 0},
};

// Bytes are views owned by the host, valid only during the call: copy what must outlive it. kit::view
// makes one a std::string_view, kit::bytes the other way round.
using kit::bytes;
using kit::view;

// The text of one batch: pure formatting, no I/O, so a failure to write never leaves half a line behind
// because formatting failed midway.
std::string formatBatch(const sdk::Batch& batch) {
  std::string out;
  const std::string head = "{\"batch\":" + std::to_string(batch.id) + ",\"op\":";
  if (batch.kind == sdk::BatchKind::FullSync) {
    // "The whole root may have changed" (fsrelay -r, an inotify overflow, a requested sync). A log has no copy
    // to repair, so one line records that it happened, with what the host's filter leaves out.
    out += head + "\"full_sync\",";
    json::appendPath(out, "root", view(batch.root));
    out += ",\"excludes\":[";
    for (std::size_t i = 0; i < batch.exclude_count; ++i) {
      const sdk::Exclude& x = batch.excludes[i];
      out += i == 0 ? "{" : ",{";
      json::appendPath(out, "pattern", view(x.pattern));
      out += std::string(",\"glob\":") + (x.is_glob ? "true" : "false") + ",\"dir\":" + (x.is_dir ? "true" : "false");
      out += "}";
    }
    out += "]}\n";
    return out;
  }
  for (std::size_t i = 0; i < batch.event_count; ++i) {
    const sdk::Event& e = batch.events[i];
    out += head;
    json::appendString(out, kit::opName(e.op, "unknown"));  // an op a later API minor adds is still logged
    out.push_back(',');
    json::appendPath(out, "root", view(batch.root));
    out.push_back(',');
    json::appendPath(out, "path", view(e.path));
    if (e.op == sdk::Op::Move) {
      out.push_back(',');
      json::appendPath(out, "old_path", view(e.old_path));
    }
    out += std::string(",\"dir\":") + (e.is_dir ? "true" : "false") + ",\"time_ns\":" + std::to_string(e.time_ns);
    out += "}\n";
  }
  return out;
}

// (3) One configured use of the plugin: the host makes one per watched root (descriptor.instance_element is
// nullptr) and calls deliver() from one dispatch thread at a time, so an instance needs no locking of its own.
class JsonlInstance final : public sdk::Instance {
 public:
  JsonlInstance(sdk::Host* host, std::string file, bool sync) : host_(host), file_(std::move(file)), sync_(sync) {}

  // noexcept: an exception must never cross the boundary. The host would contain it as a last resort (log,
  // count, Retry), but a plugin knows better what went wrong and says so in report.message().
  sdk::Status deliver(const sdk::Batch& batch, sdk::Report& report) noexcept override {
    try {
      const std::string text = formatBatch(batch);
      if (text.empty()) return sdk::Status::Ok;  // a Changes batch is never empty, but be tolerant
      std::string why;
      if (!append(text, &why)) {
        // The file cannot be written (directory missing, disk full, permissions): something the operator or
        // time can fix, so Retry. The host retries with backoff and, after its retry limit, puts the batch's
        // paths in the fail log, replayed when deliveries work again. We never loop here ourselves.
        host_->count("jsonl_write_errors", 1);
        return reject(report, sdk::Status::Retry, why);
      }
      const std::int64_t lines = batch.kind == sdk::BatchKind::FullSync ? 1 : static_cast<std::int64_t>(batch.event_count);
      host_->count("jsonl_lines", lines);  // shows up in the host's metrics as a counter
      debug("batch " + std::to_string(batch.id) + ": " + std::to_string(lines) + " line(s) to " + file_);
      return sdk::Status::Ok;
    } catch (const std::exception& e) {
      // Out of memory, most likely. Nothing that allocates here: this handler must not throw again.
      report.message(bytes(e.what()));
      return sdk::Status::Retry;
    } catch (...) {
      static constexpr char kUnknown[] = "jsonl: unknown exception";
      report.message(bytes(kUnknown));
      return sdk::Status::Retry;
    }
  }

  // Called once, after the last deliver() returned. The instance was made with new in this library, so it is
  // deleted here too (the host never frees plugin memory).
  void destroy() noexcept override { delete this; }

 private:
  // Opened per batch rather than kept open: logrotate can move the file away without signalling anyone, and a
  // file that could not be opened once is simply tried again on the next attempt. O_APPEND with one write()
  // per batch keeps lines of several instances writing the same file from interleaving.
  bool append(const std::string& text, std::string* why) {
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      *why = "jsonl: cannot open " + file_ + ": " + std::strerror(errno);
      return false;
    }
    std::size_t done = 0;
    bool ok = true;
    while (ok && done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        *why = "jsonl: cannot write " + file_ + ": " + std::strerror(n < 0 ? errno : EIO);
        ok = false;
      }
    }
    if (ok && sync_ && ::fdatasync(fd) != 0) {
      *why = "jsonl: cannot sync " + file_ + ": " + std::strerror(errno);
      ok = false;
    }
    if (::close(fd) != 0 && ok) {  // NFS reports write errors only here
      *why = "jsonl: cannot write " + file_ + ": " + std::strerror(errno);
      ok = false;
    }
    // A batch that failed midway may be retried after some of its lines were written: delivery is
    // at-least-once, as for every fsrelay target.
    return ok;
  }

  sdk::Status reject(sdk::Report& report, sdk::Status status, const std::string& why) noexcept {
    // The host copies the message, logs it with the instance name and keeps it as the target's last error.
    report.message(bytes(why));
    return status;
  }

  void debug(const std::string& line) {
    host_->log(sdk::LogLevel::Debug, bytes(line));
  }

  sdk::Host* host_;  // outlives the instance
  std::string file_;
  bool sync_;
};

// (2) Settings -> instance. Runs on the host's main thread at startup, before any delivery. Everything that
// is wrong with the configuration itself is refused here, once, with the key's name: that is a permanent
// error, unlike a file that cannot be written right now (deliver's Retry).
sdk::Instance* createInstance(const sdk::CreateArgs& args, std::string* error) {
  // The host passes every declared key, defaults filled in (a required one is always there). kit::Settings
  // looks them up by name; given kKeys it also falls back to the declared defaults.
  const kit::Settings settings(args, kKeys);

  const std::string file(settings.text("output.file"));
  if (file.empty() || file.front() != '/') {
    // The daemon's working directory is "/" once it runs in the background (-d): relative paths would move.
    *error = "output.file must be an absolute path, not '" + file + "'";
    return nullptr;
  }
  // The host has checked the declared types already (a Bool arrives as "true" or "false"); boolean() still
  // refuses anything else with the key's name, and integer() does the same for an Int within bounds.
  bool sync = false;
  if (!settings.boolean("output.sync", &sync, error)) return nullptr;

  // args.host_api_minor is the host's API minor: never older than the minor this plugin was built with (the
  // loader refuses that), so a plugin needs it only to use something optional that a later minor added.
  // host->log lines carry the instance name ("jsonl /srv") already; the message says the rest.
  const std::string hello = "appending events to " + file;
  args.host->log(sdk::LogLevel::Info, bytes(hello));
  return new JsonlInstance(args.host, file, sync);
}

// The descriptor's create: a plain function, noexcept, reporting failure as nullptr plus a NUL-terminated
// reason in the host's buffer. kit::guardedCreate is that body: it calls createInstance, copies a refusal's
// reason into args->error, and turns an exception into "jsonl plugin: WHAT" there instead of letting it out.
sdk::Instance* create(const sdk::CreateArgs* args) noexcept { return kit::guardedCreate(args, "jsonl", createInstance); }

// (4) What the host reads after loading the library. api_major/api_minor/abi_tag come from the SDK headers
// this plugin was compiled with; the loader compares them (and the stamp FSRELAY_PLUGIN exports) with its own.
const sdk::PluginDescriptor kDescriptor = {
    FSRELAY_SDK_API_MAJOR,
    FSRELAY_SDK_API_MINOR,
    FSRELAY_SDK_ABI_TAG,
    "jsonl",  // must match the file name fsrelay-jsonl.so and the config's <plugin name="jsonl">
    kVersion,
    "append every event to a file as one JSON object per line (SDK example)",
    kKeys,
    sizeof kKeys / sizeof kKeys[0],
    &create,
    nullptr,  // instance_element: one instance per watched root
};

}  // namespace

const sdk::PluginDescriptor* descriptor() { return &kDescriptor; }

}  // namespace jsonl

// Exports jsonl::descriptor as fsrelay_plugin_api_v<MAJOR> plus the version stamp the loader checks before
// running any code of this library. Everything else in the library stays hidden (fsrelay_add_plugin).
FSRELAY_PLUGIN(jsonl::descriptor)
