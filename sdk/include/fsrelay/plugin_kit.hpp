// Header-only conveniences for writing plugins: byte views, reading settings, a guarded create().
// Compiled into each plugin (nothing here crosses the boundary), so plugins stop repeating it. Optional:
// a plugin may use any part of it or none. C++17, standard library and fsrelay/plugin.hpp only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fsrelay/plugin.hpp>

namespace fsrelay::sdk::kit {

inline std::string_view view(Bytes b) { return b.data == nullptr ? std::string_view() : std::string_view(b.data, b.size); }
inline Bytes bytes(std::string_view s) { return Bytes{s.data(), s.size()}; }

// "upsert", "delete" or "move". An op this plugin does not know (one a later API minor added) gives
// unknown: by default "upsert", the safest reading for a receiver ("look at this path again"); a log may
// prefer to say "unknown".
inline const char* opName(Op op, const char* unknown = "upsert") {
  switch (op) {
    case Op::Upsert: return "upsert";
    case Op::Delete: return "delete";
    case Op::Move: return "move";
  }
  return unknown;
}

// "true/yes/on/1" or "false/no/off/0", any case. False when v is neither.
inline bool parseBool(std::string_view v, bool* out) {
  std::string lower;
  for (char c : v) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
    *out = true;
  } else if (lower == "false" || lower == "0" || lower == "no" || lower == "off") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

// Decimal digits only, within [min, max]. "" gives nullopt (the key is optional and unset).
inline bool parseInt(std::string_view v, std::int64_t min, std::int64_t max, std::optional<std::int64_t>* out) {
  if (v.empty()) {
    out->reset();
    return true;
  }
  std::int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || n > (INT64_MAX - (c - '0')) / 10) return false;
    n = n * 10 + (c - '0');
  }
  if (n < min || n > max) return false;
  *out = n;
  return true;
}

// The settings a plugin was created with. The host has already checked names and types against the
// plugin's ConfigKey table and filled in defaults, so lookups of declared keys always find a value
// (except a repeated key that was not given). Given the key table too, a key that is absent reads as its
// declared default, as the host would have passed it (for create() driven by a test or another caller).
class Settings {
 public:
  explicit Settings(const CreateArgs& args) : Settings(args.settings, args.setting_count) {}
  template <std::size_t N>
  Settings(const CreateArgs& args, const ConfigKey (&keys)[N]) : Settings(args.settings, args.setting_count, keys, N) {}
  Settings(const Setting* settings, std::size_t count, const ConfigKey* keys = nullptr, std::size_t keyCount = 0)
      : settings_(settings), count_(count), keys_(keys), keyCount_(keyCount) {}

  // The value of key; absent: its declared default (with a key table), else "".
  std::string_view text(const char* key) const {
    for (std::size_t i = 0; i < count_; ++i)
      if (std::strcmp(settings_[i].key, key) == 0) return view(settings_[i].value);
    return fallback(key);
  }
  // The declared default of key ("" without a key table, for a required key or an undeclared one).
  std::string_view fallback(const char* key) const {
    for (std::size_t i = 0; i < keyCount_; ++i)
      if (std::strcmp(keys_[i].name, key) == 0 && keys_[i].default_value != nullptr) return keys_[i].default_value;
    return {};
  }
  // Every value of a repeated key, in document order (empty ones included).
  std::vector<std::string_view> all(const char* key) const {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < count_; ++i)
      if (std::strcmp(settings_[i].key, key) == 0) out.push_back(view(settings_[i].value));
    return out;
  }
  // Reads a boolean; on a bad value sets *error to "KEY must be true or false, not '...'" and returns false.
  bool boolean(const char* key, bool* out, std::string* error) const {
    if (parseBool(text(key), out)) return true;
    *error = std::string(key) + " must be true or false, not '" + std::string(text(key)) + "'";
    return false;
  }
  // Reads an integer within [min, max]; on a bad value sets *error ("KEY must be a whole number from MIN
  // to MAX, not '...'") and returns false. "" means not set: the declared default is read instead (with a
  // key table), and when that is "" too, *out is left as it is (or reset, for the optional overload).
  bool integer(const char* key, std::int64_t min, std::int64_t max, std::int64_t* out, std::string* error) const {
    std::optional<std::int64_t> v;
    if (!integer(key, min, max, &v, error)) return false;
    if (v) *out = *v;
    return true;
  }
  bool integer(const char* key, std::int64_t min, std::int64_t max, std::optional<std::int64_t>* out,
               std::string* error) const {
    std::string_view v = text(key);
    if (v.empty()) v = fallback(key);
    if (parseInt(v, min, max, out)) return true;
    *error = std::string(key) + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
             ", not '" + std::string(v) + "'";
    return false;
  }

 private:
  const Setting* settings_;
  std::size_t count_;
  const ConfigKey* keys_;
  std::size_t keyCount_;
};

// The body of a descriptor's create(): runs make(args, &error), which returns the instance or nullptr
// with error set, and copies a failure into the host's error buffer. A refusal's reason is passed as it
// is (the host prints it after the instance's name, which starts with the plugin's); an exception's text
// gets "NAME plugin: " in front, since it rarely says where it came from.
// Use: `Instance* create(const CreateArgs* a) noexcept { return kit::guardedCreate(a, "x", make); }`
template <typename Make>
Instance* guardedCreate(const CreateArgs* args, const char* pluginName, Make make) noexcept {
  const bool room = args->error != nullptr && args->error_capacity > 0;
  try {
    std::string error;
    if (Instance* instance = make(*args, &error)) return instance;
    if (room) std::snprintf(args->error, args->error_capacity, "%s", error.c_str());
  } catch (const std::exception& e) {  // nothing below allocates: out of memory is the likely exception
    if (room) std::snprintf(args->error, args->error_capacity, "%s plugin: %s", pluginName, e.what());
  } catch (...) {
    if (room) std::snprintf(args->error, args->error_capacity, "%s plugin: unknown exception", pluginName);
  }
  return nullptr;
}

// Percent-encodes every byte for which keep(byte) is false (URLs, form bodies).
template <typename Keep>
std::string percentEncode(std::string_view text, Keep keep) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (keep(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// RFC 3986 unreserved characters: the only ones a query value or form field keeps unencoded.
inline bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

}  // namespace fsrelay::sdk::kit
