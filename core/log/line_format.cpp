// Text and JSON-lines rendering of one log line.
#include "core/log/line_format.hpp"

#include <cstdio>
#include <cstdlib>

#include <fsrelay/json_text.hpp>

namespace fsrelay::log {

Stamp localStamp(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  Stamp s;
  std::time_t secs = system_clock::to_time_t(when);
  s.millis = static_cast<int>(duration_cast<milliseconds>(when.time_since_epoch()).count() % 1000);
  localtime_r(&secs, &s.tm);
  s.utcOffsetSeconds = s.tm.tm_gmtoff;
  return s;
}

std::string isoTime(const Stamp& stamp, bool withOffset) {
  char buf[48];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &stamp.tm);
  std::string out(buf, n);
  std::snprintf(buf, sizeof buf, ".%03d", stamp.millis);
  out += buf;
  if (withOffset) {
    // RFC 3339 wants "+01:00"; strftime's %z gives "+0100".
    long off = stamp.utcOffsetSeconds;
    char sign = off < 0 ? '-' : '+';
    off = std::labs(off);
    std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", sign, off / 3600, off % 3600 / 60);
    out += buf;
  }
  return out;
}

std::string formatLine(Format format, const Stamp& stamp, Level level, std::string_view message, const Fields* fields) {
  std::string line;
  line.reserve(message.size() + 64);
  if (format == Format::Text) {
    line = isoTime(stamp, false);
    line.push_back(' ');
    line.append(levelName(level));
    line.append(": ");
    line.append(message);
    line.push_back('\n');
    return line;
  }
  namespace json = sdk::json;
  line = "{\"ts\":";
  json::appendString(line, isoTime(stamp, true));
  line += ",\"level\":";
  json::appendString(line, levelName(level));
  line += ",\"msg\":";
  json::appendString(line, message);
  if (fields) {
    for (const auto& f : fields->items()) {
      line.push_back(',');
      switch (f.kind) {
        case Fields::Kind::Text:
          json::appendString(line, f.key);
          line.push_back(':');
          json::appendString(line, f.text);
          break;
        case Fields::Kind::Bytes:
          json::appendPath(line, f.key, f.text);
          break;
        case Fields::Kind::Number:
          json::appendString(line, f.key);
          line.push_back(':');
          line += std::to_string(f.number);
          break;
      }
    }
  }
  line += "}\n";
  return line;
}

}  // namespace fsrelay::log
