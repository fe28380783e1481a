// Pure helpers of the socket plugin: the jsonl records and the sersync payloads (no I/O).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fsrelay/plugin.hpp>

// C++17 on purpose: the plugin target only requires cxx_std_17.
namespace fsrelay::socketplugin {

enum class Format : std::uint8_t {
  Jsonl = 1,    // one JSON object per line over a persistent connection (the default)
  Sersync = 2,  // sersync 2.5: the bare absolute path, one connection per path, no terminator
};

// "jsonl" or "sersync", in any case; false for anything else.
bool parseFormat(std::string_view text, Format* out);
const char* formatName(Format format);

// CLOCK_REALTIME nanoseconds as decimal seconds with exactly 9 fraction digits: "1700000000.123456789".
std::string unixSeconds(std::int64_t ns);

// root + "/" + rel; "." is the root itself; a root of "/" gets no second slash.
std::string absolutePath(std::string_view root, std::string_view rel);

// Appends one record and its '\n':
//   {"op":"upsert|delete|move","root":R,"path":P[,"old_path":O],"dir":B,"time":T,"seq":N}
// Strings that are not valid UTF-8 are lossy and get a sibling "<key>_b64" with the exact bytes. A
// control byte in a name (newline included) is escaped, so a record is always exactly one line.
void appendChangeRecord(std::string& out, std::string_view root, const sdk::Event& event, std::int64_t timeNs,
                        std::uint64_t seq);
// {"op":"sync","root":R,"time":T,"seq":N}: "the whole root may have changed" (a FullSync batch).
void appendSyncRecord(std::string& out, std::string_view root, std::int64_t timeNs, std::uint64_t seq);

// What sersync 2.5 sent for an event: its absolute path, one payload per connection. A move is a
// delete of the old path and a create of the new one there, so it gives two payloads (old first).
std::vector<std::string> sersyncPayloads(std::string_view root, const sdk::Event& event);

// Drops whole records (lines) from the front of records until at most maxBytes are left: the resend
// window keeps the newest complete records only.
void keepTail(std::string& records, std::size_t maxBytes);

// "127.0.0.1:8009", "[::1]:8009".
std::string endpointText(std::string_view host, int port);

}  // namespace fsrelay::socketplugin
