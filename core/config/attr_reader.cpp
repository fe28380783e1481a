// Attribute parsing for the config loader; every bad value becomes an error at the element's line.
#include "core/config/attr_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace fsrelay::config_detail {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string rangeText(long long min, long long max) {
  if (max == std::numeric_limits<int>::max())
    return min == 1 ? "a positive integer" : "an integer >= " + std::to_string(min);
  return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

}  // namespace

std::string trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return std::string(s);
}

AttrReader::AttrReader(const tinyxml2::XMLElement& el, DiagnosticSink& sink,
                       std::initializer_list<std::string_view> known)
    : el_(el), sink_(sink) {
  for (const tinyxml2::XMLAttribute* a = el.FirstAttribute(); a != nullptr; a = a->Next()) {
    if (std::find(known.begin(), known.end(), std::string_view(a->Name())) != known.end()) continue;
    std::string expected;
    for (std::string_view k : known) expected += (expected.empty() ? "" : ", ") + std::string(k);
    sink_.warning(line(), "unknown attribute \"" + shortened(a->Name()) + "\" on " + element() + " is ignored" +
                              (expected.empty() ? " (it takes no attributes)" : " (expected: " + expected + ")"));
  }
}

std::optional<std::string> AttrReader::text(const char* name) const {
  const char* v = el_.Attribute(name);
  if (v == nullptr) return std::nullopt;
  return trim(v);
}

std::optional<std::string> AttrReader::required(const char* name, std::string_view what) {
  std::optional<std::string> v = text(name);
  if (!v) {
    sink_.error(line(), element() + " has no " + name + " attribute (" + std::string(what) + ")");
    return std::nullopt;
  }
  if (v->empty()) {
    sink_.error(line(), element() + " has an empty " + name + " attribute (" + std::string(what) + ")");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> AttrReader::boolean(const char* name) {
  std::optional<std::string> v = text(name);
  if (!v) return std::nullopt;
  std::string l = lower(*v);
  if (l == "true") return true;
  if (l == "false") return false;
  sink_.error(line(), std::string(name) + "=\"" + shortened(*v) + "\" on " + element() +
                          " is not a boolean (expected \"true\" or \"false\")");
  return std::nullopt;
}

std::optional<int> AttrReader::integer(const char* name, long long min, long long max) {
  std::optional<std::string> v = text(name);
  if (!v) return std::nullopt;
  long long n = 0;
  const char* first = v->data();
  const char* last = v->data() + v->size();
  auto [end, ec] = std::from_chars(first, last, n);
  const std::string shown = std::string(name) + "=\"" + shortened(*v) + "\" on " + element();
  if (v->empty() || end != last || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    sink_.error(line(), shown + " is not a number (expected " + rangeText(min, max) + ")");
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || n < min || n > max) {
    sink_.error(line(), shown + " is out of range (expected " + rangeText(min, max) + ")");
    return std::nullopt;
  }
  return static_cast<int>(n);
}

}  // namespace fsrelay::config_detail
