// Header-only conveniences for writing plugins: byte views, reading settings, a guarded create() and
// deliver(), word splitting, path checks, printable log text.
// Compiled into each plugin (nothing here crosses the boundary), so plugins stop repeating it. Optional:
// a plugin may use any part of it or none. C++17, standard library, fsrelay/plugin.hpp and
// fsrelay/json_text.hpp only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fsrelay/json_text.hpp>
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

// The body of Instance::deliver(): returns deliver()'s outcome. An exception escaping it (most likely out
// of memory: passing) becomes Retry for the whole batch, with the message "NAME plugin: internal error,
// batch will be retried"; onError(what) runs first (log it, count it, drop state the failure may have left
// half-done), and whatever it throws is swallowed.
// Use: `return kit::guardedDeliver(report, "x", [&] { return deliverBatch(batch, report); }, onError);`
template <typename Deliver, typename OnError>
Status guardedDeliver(Report& report, const char* pluginName, Deliver deliver, OnError onError) noexcept {
  auto internalError = [&](const char* what) noexcept {
    try {
      onError(what);
    } catch (...) {
    }
    char message[160];
    const int n =
        std::snprintf(message, sizeof message, "%s plugin: internal error, batch will be retried", pluginName);
    if (n > 0) report.message(Bytes{message, std::min(static_cast<std::size_t>(n), sizeof message - 1)});
    return Status::Retry;
  };
  try {
    return deliver();
  } catch (const std::exception& e) {
    return internalError(e.what());
  } catch (...) {
    return internalError("unknown exception");
  }
}

// The same with the usual onError: logs "batch ID: internal error: WHAT" at error level (the host puts the
// instance's name in front) and adds 1 to the counter failureCounter (nullptr: counts nothing).
// Use: `return kit::guardedDeliver(batch, report, host_, "x", "x_failures", [&] { return run(batch, report); });`
template <typename Deliver>
Status guardedDeliver(const Batch& batch, Report& report, Host* host, const char* pluginName,
                      const char* failureCounter, Deliver deliver) noexcept {
  return guardedDeliver(report, pluginName, deliver, [&](const char* what) {
    try {
      const std::string line = "batch " + std::to_string(batch.id) + ": internal error: " + what;
      host->log(LogLevel::Error, bytes(line));
    } catch (...) {
    }
    if (failureCounter != nullptr) host->count(failureCounter, 1);
  });
}

// Splits a setting that holds a command line or program options into argv words, the way sh would but
// expanding nothing (no shell ever runs): blanks (space, tab, newline, CR) separate words; '...' is
// literal; inside "..." a backslash escapes only " \ $ and ` (any other backslash stays); outside quotes a
// backslash escapes the next byte. $VAR, ~, globs, $(...), `...`, ; | > stay as typed; "" and '' make an
// empty word; bytes pass unchanged. Returns nullopt and sets *error (unless error is nullptr) on an
// unterminated quote or a trailing backslash.
inline std::optional<std::vector<std::string>> splitWords(std::string_view text, std::string* error = nullptr) {
  std::vector<std::string> words;
  std::string word;
  bool inWord = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (inWord) words.push_back(std::move(word));
      word.clear();
      inWord = false;
      continue;
    }
    inWord = true;
    if (c == '\\') {
      if (i + 1 == text.size()) {
        if (error) *error = "trailing backslash";
        return std::nullopt;
      }
      word += text[++i];
    } else if (c == '\'') {
      const std::size_t end = text.find('\'', i + 1);
      if (end == std::string_view::npos) {
        if (error) *error = "unterminated ' quote";
        return std::nullopt;
      }
      word.append(text.substr(i + 1, end - i - 1));
      i = end;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() &&
            std::string_view("\"\\$`").find(text[j + 1]) != std::string_view::npos) {
          ++j;
        }
        word += text[j];
      }
      if (j >= text.size()) {
        if (error) *error = "unterminated \" quote";
        return std::nullopt;
      }
      i = j;
    } else {
      word += c;
    }
  }
  if (inWord) words.push_back(std::move(word));
  return words;
}

// A path from an event is safe to join to the root: relative, not empty, without a ".." component or a
// NUL byte ("." is the root itself). The host never sends others; a plugin checks anyway, since a joined
// path outside the root (a command's argument, a URL, an rsync file list) is worse than a refused event.
inline bool safeRelativePath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return false;
    start = end + 1;
  }
  return true;
}

// s as printable UTF-8 on one line, for a log line or a message: control bytes, DEL and bytes that are not
// valid UTF-8 become \xNN (upper-case hex); valid UTF-8 stays. File names are bytes; a log line must not be
// split or garbled by them.
inline std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = json::utf8SequenceAt(s, i);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// Cuts s to at most max bytes without splitting a UTF-8 sequence, ending it with "..." where it was cut
// (just "..." when max is below 4). A string of max bytes or fewer stays as it is.
inline void cutTo(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t cut = max > 3 ? max - 3 : 0;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  s += "...";
}

// argv as one log line that a shell would read back as the same words: plain words as they are, others
// in '...' (a ' in them as '\''), unprintable bytes as \xNN (see printable). At most maxWords words (the
// rest as " ... (N more)") and maxBytes bytes before that (see cutTo), so a run with thousands of paths
// still logs one short line; by default all of it.
inline std::string renderArgv(const std::vector<std::string>& argv, std::size_t maxWords = SIZE_MAX,
                              std::size_t maxBytes = SIZE_MAX) {
  std::string out;
  const std::size_t shown = std::min(argv.size(), maxWords);
  for (std::size_t k = 0; k < shown; ++k) {
    const std::string& w = argv[k];
    if (!out.empty()) out += ' ';
    const bool plain = !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
    });
    if (plain) {
      out += w;
      continue;
    }
    std::string quoted = "'";
    for (char c : w) {
      if (c == '\'') {
        quoted += "'\\''";
      } else {
        quoted += c;
      }
    }
    quoted += '\'';
    out += printable(quoted);
  }
  cutTo(out, maxBytes);
  if (shown < argv.size()) out += " ... (" + std::to_string(argv.size() - shown) + " more)";
  return out;
}

}  // namespace fsrelay::sdk::kit
