// Pure helpers of the http plugin's event stream: change/sync JSON, Server-Sent Events framing, client buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fsrelay/plugin.hpp>

namespace fsrelay::http {

// CLOCK_REALTIME nanoseconds as RFC 3339 UTC with nanoseconds: "2024-05-01T12:00:00.000000001Z".
std::string rfc3339(std::int64_t timeNs);

// One change as a JSON object: {"op":"upsert|delete|move","root":..,"path":..[,"old_path":..],"dir":bool,
// "time":"RFC 3339"}. Paths follow fsrelay's JSON convention (invalid UTF-8: lossy text plus "<key>_b64").
std::string changeJson(std::string_view root, const sdk::Event& event);

// A full sync of a root: {"root":..,"time":"RFC 3339"}.
std::string syncJson(std::string_view root, std::int64_t timeNs);

// An SSE message: "id: N\nevent: NAME\ndata: LINE\n...\n\n". data is split on newlines into data: lines
// (a JSON document from changeJson has none; the split keeps any other text valid on the wire).
std::string sseFrame(std::string_view event, std::uint64_t id, std::string_view data);

// An SSE comment (ignored by EventSource; keeps proxies and idle timeouts from closing the stream).
std::string sseComment(std::string_view text);

// object with `"key":valueJson` added as its last member; object must be a JSON object ("{...}").
// Returns object unchanged when it is not one (a host bug is not worth a broken endpoint).
std::string withMember(std::string_view object, std::string_view key, std::string_view valueJson);

// The bytes waiting for one SSE client, bounded: a client that falls capacity bytes behind is dropped
// rather than slowing down the deliveries that feed it.
class ClientBuffer {
 public:
  explicit ClientBuffer(std::size_t capacity) : capacity_(capacity) {}
  // Appends frame; false (and overflowed() from then on, with nothing appended) when it does not fit.
  bool append(std::string_view frame);
  // Everything buffered, leaving the buffer empty.
  std::string take();
  std::size_t size() const { return data_.size(); }
  bool overflowed() const { return overflowed_; }

 private:
  std::size_t capacity_;
  std::string data_;
  bool overflowed_ = false;
};

}  // namespace fsrelay::http
