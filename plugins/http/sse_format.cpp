// Pure helpers of the http plugin's event stream: change/sync JSON, Server-Sent Events framing, client buffer.
#include "sse_format.hpp"

#include <cstdio>
#include <ctime>

#include <fsrelay/json_text.hpp>
#include <fsrelay/plugin_kit.hpp>

namespace fsrelay::http {
namespace {

using sdk::kit::view;

}  // namespace

std::string rfc3339(std::int64_t timeNs) {
  std::int64_t seconds = timeNs / 1000000000;
  std::int64_t nanos = timeNs % 1000000000;
  if (nanos < 0) {  // before 1970: floor, so the fraction stays positive
    nanos += 1000000000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(nanos));
  return buf;
}

std::string changeJson(std::string_view root, const sdk::Event& event) {
  std::string out = "{\"op\":";
  sdk::json::appendString(out, sdk::kit::opName(event.op, "unknown"));
  out += ',';
  sdk::json::appendPath(out, "root", root);
  out += ',';
  sdk::json::appendPath(out, "path", view(event.path));
  if (event.op == sdk::Op::Move) {
    out += ',';
    sdk::json::appendPath(out, "old_path", view(event.old_path));
  }
  out += event.is_dir != 0 ? ",\"dir\":true" : ",\"dir\":false";
  out += ",\"time\":";
  sdk::json::appendString(out, rfc3339(event.time_ns));
  out += '}';
  return out;
}

std::string syncJson(std::string_view root, std::int64_t timeNs) {
  std::string out = "{";
  sdk::json::appendPath(out, "root", root);
  out += ",\"time\":";
  sdk::json::appendString(out, rfc3339(timeNs));
  out += '}';
  return out;
}

std::string sseFrame(std::string_view event, std::uint64_t id, std::string_view data) {
  std::string out = "id: " + std::to_string(id) + "\nevent: ";
  out.append(event);
  out += '\n';
  // A bare CR also ends an SSE line: every line break form starts a new data: line.
  std::size_t start = 0;
  for (std::size_t i = 0; i <= data.size(); ++i) {
    if (i == data.size() || data[i] == '\n' || data[i] == '\r') {
      out += "data: ";
      out.append(data.substr(start, i - start));
      out += '\n';
      if (i + 1 < data.size() && data[i] == '\r' && data[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  out += '\n';
  return out;
}

std::string sseComment(std::string_view text) {
  std::string out = ": ";
  for (char c : text) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  out += "\n\n";
  return out;
}

std::string withMember(std::string_view object, std::string_view key, std::string_view valueJson) {
  std::size_t end = object.find_last_not_of(" \t\r\n");
  std::size_t begin = object.find_first_not_of(" \t\r\n");
  if (end == std::string_view::npos || object[begin] != '{' || object[end] != '}') return std::string(object);
  std::size_t last = object.find_last_not_of(" \t\r\n", end - 1);  // the byte before the closing brace
  std::string out(object.substr(0, end));
  if (last != begin) out += ',';  // not "{}"
  sdk::json::appendString(out, key);
  out += ':';
  out.append(valueJson);
  out.append(object.substr(end));
  return out;
}

bool ClientBuffer::append(std::string_view frame) {
  if (overflowed_) return false;
  if (data_.size() + frame.size() > capacity_) {
    overflowed_ = true;
    data_.clear();  // nothing more will be sent to this client: free the memory now
    return false;
  }
  data_.append(frame);
  return true;
}

std::string ClientBuffer::take() {
  std::string out;
  out.swap(data_);
  return out;
}

}  // namespace fsrelay::http
