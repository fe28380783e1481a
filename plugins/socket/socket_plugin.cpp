// The socket plugin: one Instance sends one root's changes to one <deshost> over TCP (jsonl or sersync format).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <fsrelay/plugin.hpp>
#include <fsrelay/plugin_kit.hpp>

#include "socket_conn.hpp"   // same folder: the plugin target has only the SDK on its include path
#include "socket_frame.hpp"

namespace fsrelay::socketplugin {
namespace {

using sdk::KeyType;
using sdk::kit::bytes;
using sdk::kit::view;
using sdk::LogLevel;
using sdk::Status;

constexpr char kVersion[] = "0.1.0";
// Records are written in chunks of about this size, so a batch of 100,000 events never sits in memory
// as one string.
constexpr std::size_t kChunkBytes = 64 * 1024;
// The tail of what was written on the persistent connection, resent when the connection turns out to
// have broken (a reset: the receiver may not have read it). Bounds the plugin's memory per deshost.
constexpr std::size_t kResendWindowBytes = 256 * 1024;

const sdk::ConfigKey kKeys[] = {
    {"deshost.ip", KeyType::String, "127.0.0.1", "host name or address of the receiver", 0},
    {"deshost.port", KeyType::Int, "8009", "TCP port of the receiver (1-65535)", 0},
    {"deshost.format", KeyType::String, "jsonl",
     "jsonl: one JSON object per line on a persistent connection; sersync: the bare absolute path, one "
     "connection per path (sersync 2.5's receivers)", 0},
    {"deshost.connectTimeoutMs", KeyType::Int, "2000", "give up connecting after this long (then Retry)", 0},
    {"deshost.writeTimeoutMs", KeyType::Int, "10000",
     "give up writing when the receiver takes nothing for this long (then Retry); also TCP_USER_TIMEOUT", 0},
};

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::size_t recordCount(std::string_view records) {
  return static_cast<std::size_t>(std::count(records.begin(), records.end(), '\n'));
}

struct Settings {
  std::string ip;
  int port = 0;
  Format format = Format::Jsonl;
  int connectTimeoutMs = 0;
  int writeTimeoutMs = 0;
};

class SocketInstance final : public sdk::Instance {
 public:
  SocketInstance(sdk::Host* host, std::string root, Settings settings)
      : host_(host),
        root_(std::move(root)),
        s_(std::move(settings)),
        endpoint_(endpointText(s_.ip, s_.port)) {}

  Status deliver(const sdk::Batch& batch, sdk::Report& report) noexcept override {
    return sdk::kit::guardedDeliver(
        report, "socket", [&] { return deliverBatch(batch, report); },
        [&](const char* what) {
          log(LogLevel::Error, std::string("internal error: ") + what);
          // The connection may be half-written: start again on a new one, resending what went out on it.
          conn_.close();
          resend_ = true;
        });
  }

  void destroy() noexcept override { delete this; }

 private:
  Status deliverBatch(const sdk::Batch& batch, sdk::Report& report) {
    std::string_view root = view(batch.root);
    if (root.empty()) root = root_;
    if (batch.kind != sdk::BatchKind::Changes && batch.kind != sdk::BatchKind::FullSync) {
      return fail(report, Status::Fail, "unknown batch kind " + std::to_string(static_cast<int>(batch.kind)));
    }
    return s_.format == Format::Sersync ? deliverSersync(batch, root, report) : deliverJsonl(batch, root, report);
  }

  // sersync 2.5: per path, connect, send the absolute path, close. Per-event statuses, so the host
  // retries only what did not go out.
  Status deliverSersync(const sdk::Batch& batch, std::string_view root, sdk::Report& report) {
    if (batch.kind == sdk::BatchKind::FullSync) {
      // sersync's receivers know only "this path changed"; sending every path of the root is not what they
      // expect either. Documented: a full sync sends nothing in this format.
      log(LogLevel::Info, "full sync: nothing to send in the sersync format");
      return Status::Ok;
    }
    for (std::size_t i = 0; i < batch.event_count; ++i) {
      // One connection per path can take long for a big batch; past the shutdown deadline the rest waits
      // in the fail log for the next start.
      if (host_->aborting()) return retryFrom(batch, i, report, "shutting down");
      for (const std::string& payload : sersyncPayloads(root, batch.events[i])) {
        std::string error;
        Connection conn;
        if (!conn.connect(s_.ip, s_.port, s_.connectTimeoutMs, s_.writeTimeoutMs, &error)) {
          host_->count("socket_connect_failures", 1);
          return retryFrom(batch, i, report, error);
        }
        if (!conn.writeAll(payload, s_.writeTimeoutMs, &error)) {
          host_->count("socket_write_failures", 1);
          return retryFrom(batch, i, report, error);
        }
        conn.finish();
        host_->count("socket_records_sent", 1);
        host_->count("socket_bytes_sent", static_cast<std::int64_t>(payload.size()));
      }
      report.eventStatus(i, Status::Ok);
    }
    return Status::Ok;
  }

  Status retryFrom(const sdk::Batch& batch, std::size_t first, sdk::Report& report, const std::string& error) {
    for (std::size_t j = first; j < batch.event_count; ++j) report.eventStatus(j, Status::Retry);
    return fail(report, Status::Retry, error);
  }

  // jsonl: every record of the batch is written to the persistent connection, or the batch is retried.
  Status deliverJsonl(const sdk::Batch& batch, std::string_view root, sdk::Report& report) {
    std::string error;
    if (!ensureConnected(&error)) return fail(report, Status::Retry, error);

    std::size_t batchInWindow = 0;  // this batch's bytes at the window's tail: undone if the batch fails
    std::string chunk;
    chunk.reserve(kChunkBytes + 8192);
    auto flush = [&]() -> bool {
      if (chunk.empty()) return true;
      if (!conn_.writeAll(chunk, s_.writeTimeoutMs, &error)) return false;
      const std::size_t records = recordCount(chunk);
      host_->count("socket_records_sent", static_cast<std::int64_t>(records));
      host_->count("socket_bytes_sent", static_cast<std::int64_t>(chunk.size()));
      batchInWindow += chunk.size();
      remember(chunk);
      batchInWindow = std::min(batchInWindow, window_.size());
      chunk.clear();
      return true;
    };

    bool ok = true;
    if (batch.kind == sdk::BatchKind::FullSync) {
      appendSyncRecord(chunk, root, nowNs(), nextSeq_++);
      host_->count("socket_syncs_sent", 1);
    } else {
      for (std::size_t i = 0; i < batch.event_count && ok; ++i) {
        const sdk::Event& e = batch.events[i];
        // A change replayed from the fail log has lost its time; the time it is sent is the best left.
        appendChangeRecord(chunk, root, e, e.time_ns != 0 ? e.time_ns : nowNs(), nextSeq_++);
        if (chunk.size() >= kChunkBytes) {
          ok = flush();
          // Past the shutdown deadline: the host keeps the whole batch for the next start (what went out
          // already arrives twice, which at least once allows). The connection itself is fine.
          if (ok && host_->aborting()) return fail(report, Status::Retry, "shutting down");
        }
      }
    }
    if (ok) ok = flush();
    if (ok) return Status::Ok;

    // Part of the batch may have reached the receiver: the whole batch is retried (at least once), and
    // what came before it on this connection is resent after reconnecting, since a write error means
    // the connection broke and its last bytes may never have been read.
    window_.resize(window_.size() - batchInWindow);
    resend_ = true;
    host_->count("socket_write_failures", 1);
    return fail(report, Status::Retry, error);
  }

  // Reuses the persistent connection when its peer is still there, else connects (resending the window
  // when the old connection broke rather than closed cleanly).
  bool ensureConnected(std::string* error) {
    if (conn_.isOpen()) {
      switch (conn_.check()) {
        case Connection::Peer::Alive:
          return true;
        case Connection::Peer::Closed:
          // A clean close means it had read all we wrote: nothing to resend.
          host_->count("socket_peer_closed", 1);
          log(LogLevel::Info, "receiver " + endpoint_ + " closed the connection; reconnecting");
          window_.clear();
          break;
        case Connection::Peer::Broken:
          host_->count("socket_peer_broken", 1);
          log(LogLevel::Warn, "connection to " + endpoint_ + " broke; reconnecting and resending the last " +
                                  std::to_string(recordCount(window_)) + " record(s) written on it");
          resend_ = true;
          break;
      }
    }
    if (!conn_.connect(s_.ip, s_.port, s_.connectTimeoutMs, s_.writeTimeoutMs, error)) {
      host_->count("socket_connect_failures", 1);
      *error = endpoint_ + ": " + *error;
      return false;
    }
    host_->count("socket_connects", 1);
    log(LogLevel::Info, "connected to " + endpoint_);
    if (resend_ && !window_.empty()) {
      if (!conn_.writeAll(window_, s_.writeTimeoutMs, error)) {
        host_->count("socket_write_failures", 1);
        *error = endpoint_ + ": " + *error;
        return false;  // resend_ stays set: the window goes out on the next connection
      }
      host_->count("socket_records_resent", static_cast<std::int64_t>(recordCount(window_)));
    }
    resend_ = false;
    return true;
  }

  // Appends written records to the resend window, dropping whole records from its front past the bound.
  void remember(std::string_view written) {
    window_.append(written.data(), written.size());
    keepTail(window_, kResendWindowBytes);
  }

  Status fail(sdk::Report& report, Status status, const std::string& why) {
    const std::string text = why.rfind(endpoint_, 0) == 0 ? why : endpoint_ + ": " + why;
    log(LogLevel::Debug, text);
    report.message(bytes(text));
    return status;
  }

  void log(LogLevel level, const std::string& line) { host_->log(level, bytes(line)); }

  sdk::Host* host_;
  std::string root_;
  Settings s_;
  std::string endpoint_;
  Connection conn_;          // jsonl only; deliver() never runs concurrently on one instance
  std::uint64_t nextSeq_ = 1;
  std::string window_;       // the last records written on conn_ (or on the connection that broke)
  bool resend_ = false;      // window_ must go out first on the next connection
};

sdk::Instance* createInstance(const sdk::CreateArgs& args, std::string* error) {
  const sdk::kit::Settings setting(args, kKeys);
  // The host passes an optional key left out of the XML with its default; an explicitly empty value
  // falls back to the default too, as sersync would have.
  auto valueOf = [&](const char* key) -> std::string_view {
    const std::string_view v = setting.text(key);
    return v.empty() ? setting.fallback(key) : v;
  };
  auto fail = [&](std::string why) -> sdk::Instance* {
    *error = std::move(why);
    return nullptr;
  };

  Settings s;
  s.ip = std::string(valueOf("deshost.ip"));
  if (s.ip.find_first_of(" \t\r\n/") != std::string::npos) return fail("deshost.ip is not a host: " + s.ip);
  std::int64_t port = 0;
  std::int64_t connectTimeoutMs = 0;
  std::int64_t writeTimeoutMs = 0;
  if (!setting.integer("deshost.port", 1, 65535, &port, error)) return nullptr;
  if (!parseFormat(valueOf("deshost.format"), &s.format)) {
    return fail("deshost.format must be jsonl or sersync, not \"" + std::string(valueOf("deshost.format")) + "\"");
  }
  if (!setting.integer("deshost.connectTimeoutMs", 1, 3600000, &connectTimeoutMs, error) ||
      !setting.integer("deshost.writeTimeoutMs", 1, 3600000, &writeTimeoutMs, error)) {
    return nullptr;
  }
  s.port = static_cast<int>(port);
  s.connectTimeoutMs = static_cast<int>(connectTimeoutMs);
  s.writeTimeoutMs = static_cast<int>(writeTimeoutMs);
  std::string root(view(args.root));
  if (root.empty() || root.front() != '/') return fail("the root must be an absolute path: " + root);
  const std::string line = std::string("sending to ") + endpointText(s.ip, s.port) + " in the " +
                           formatName(s.format) + " format";
  args.host->log(LogLevel::Info, bytes(line));
  return new SocketInstance(args.host, std::move(root), std::move(s));
}

sdk::Instance* create(const sdk::CreateArgs* args) noexcept {
  return sdk::kit::guardedCreate(args, "socket", createInstance);
}

const sdk::PluginDescriptor kDescriptor = {
    FSRELAY_SDK_API_MAJOR,
    FSRELAY_SDK_API_MINOR,
    FSRELAY_SDK_ABI_TAG,
    "socket",
    kVersion,
    "send changes to TCP receivers: JSON lines on a persistent connection, or sersync's bare paths",
    kKeys,
    sizeof kKeys / sizeof kKeys[0],
    &create,
    "deshost",  // one instance (own queue, retries, fail-log entries) per <deshost> of each <localpath>
};

}  // namespace

const sdk::PluginDescriptor* socketDescriptor() { return &kDescriptor; }

}  // namespace fsrelay::socketplugin

FSRELAY_PLUGIN(fsrelay::socketplugin::socketDescriptor)
