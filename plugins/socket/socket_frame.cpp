// Pure helpers of the socket plugin: the jsonl records and the sersync payloads (no I/O).
#include "socket_frame.hpp"

#include <fsrelay/json_text.hpp>
#include <fsrelay/plugin_kit.hpp>

namespace fsrelay::socketplugin {

using sdk::kit::opName;
using sdk::kit::view;

bool parseFormat(std::string_view text, Format* out) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "jsonl") {
    *out = Format::Jsonl;
  } else if (lower == "sersync") {
    *out = Format::Sersync;
  } else {
    return false;
  }
  return true;
}

const char* formatName(Format format) { return format == Format::Sersync ? "sersync" : "jsonl"; }

std::string unixSeconds(std::int64_t ns) {
  // Work on the magnitude as unsigned so INT64_MIN does not overflow.
  const bool negative = ns < 0;
  const std::uint64_t mag = negative ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  std::string frac = std::to_string(mag % 1000000000u);
  frac.insert(0, 9 - frac.size(), '0');
  return (negative ? "-" : "") + std::to_string(mag / 1000000000u) + "." + frac;
}

std::string absolutePath(std::string_view root, std::string_view rel) {
  std::string out(root);
  if (rel.empty() || rel == ".") return out.empty() ? "/" : out;
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(rel.data(), rel.size());
  return out;
}

void appendChangeRecord(std::string& out, std::string_view root, const sdk::Event& event, std::int64_t timeNs,
                        std::uint64_t seq) {
  out += "{\"op\":\"";
  out += opName(event.op);
  out += "\",";
  sdk::json::appendPath(out, "root", root);
  out.push_back(',');
  sdk::json::appendPath(out, "path", view(event.path));
  if (event.op == sdk::Op::Move) {
    out.push_back(',');
    sdk::json::appendPath(out, "old_path", view(event.old_path));
  }
  out += event.is_dir ? ",\"dir\":true" : ",\"dir\":false";
  out += ",\"time\":";
  out += unixSeconds(timeNs);
  out += ",\"seq\":";
  out += std::to_string(seq);
  out += "}\n";
}

void appendSyncRecord(std::string& out, std::string_view root, std::int64_t timeNs, std::uint64_t seq) {
  out += "{\"op\":\"sync\",";
  sdk::json::appendPath(out, "root", root);
  out += ",\"time\":";
  out += unixSeconds(timeNs);
  out += ",\"seq\":";
  out += std::to_string(seq);
  out += "}\n";
}

std::vector<std::string> sersyncPayloads(std::string_view root, const sdk::Event& event) {
  std::vector<std::string> out;
  if (event.op == sdk::Op::Move) out.push_back(absolutePath(root, view(event.old_path)));
  out.push_back(absolutePath(root, view(event.path)));
  return out;
}

void keepTail(std::string& records, std::size_t maxBytes) {
  if (records.size() <= maxBytes) return;
  const std::size_t cut = records.size() - maxBytes;  // at least this many bytes must go
  const std::size_t nl = records.find('\n', cut - 1);
  records.erase(0, nl == std::string::npos ? records.size() : nl + 1);
}

std::string endpointText(std::string_view host, int port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  std::string out;
  if (v6) out.push_back('[');
  out.append(host.data(), host.size());
  if (v6) out.push_back(']');
  return out + ":" + std::to_string(port);
}

}  // namespace fsrelay::socketplugin
