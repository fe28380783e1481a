// Environment checks for config values; each returns the error text so the loader can attach a line.
#include "core/config/config_checks.hpp"

#include <algorithm>
#include <cctype>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>
#include <system_error>
#include <vector>

#include "core/config/diagnostics.hpp"

namespace fsrelay::config_detail {

std::string normalisePath(const std::string& path) {
  if (path.empty()) return path;
  std::filesystem::path p(path);
  if (p.is_relative()) {
    std::error_code ec;
    std::filesystem::path cwd = std::filesystem::current_path(ec);
    if (!ec) p = cwd / p;
  }
  std::string out = p.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::optional<std::string> checkDir(const std::string& fullPath, const std::string& what) {
  const std::string path = shortenedPath(fullPath);  // as shown
  struct stat st {};
  if (::stat(fullPath.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return what + " " + path + " does not exist";
    return what + " " + path + " cannot be read: " + std::strerror(err);
  }
  if (!S_ISDIR(st.st_mode)) return what + " " + path + " is not a directory";
  return std::nullopt;
}

std::optional<std::string> checkWatchDir(const std::string& path) { return checkDir(path, "watch folder"); }

std::optional<std::string> checkPasswordFile(const std::string& fullPath) {
  const std::string path = shortenedPath(fullPath);  // as shown
  struct stat st {};
  if (::stat(fullPath.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return "password file " + path + " does not exist";
    return "password file " + path + " cannot be read: " + std::strerror(err);
  }
  if (!S_ISREG(st.st_mode)) return "password file " + path + " is not a regular file";
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return "password file " + path + " has mode " + mode + ": group and others must have no access; run: chmod 600 " +
           path;
  }
  if (::geteuid() == 0 && st.st_uid != 0)
    return "password file " + path + " must be owned by root when fsrelay runs as root (rsync refuses it otherwise)";
  if (::access(fullPath.c_str(), R_OK) != 0)
    return "password file " + path + " is not readable by fsrelay: " + std::strerror(errno);
  return std::nullopt;
}

// libstdc++'s regex compiler recurses per nesting level and per repeated copy, and a repeat count past
// 2^64 is undefined behaviour there: bound what it is handed, so a config cannot crash the daemon.
std::optional<std::string> regexTooComplex(const std::string& e) {
  constexpr std::size_t kMaxLength = 1024, kMaxDepth = 32, kMaxRepeat = 1000;
  if (e.size() > kMaxLength)
    return "is " + std::to_string(e.size()) + " bytes long; at most " + std::to_string(kMaxLength) + " are allowed";
  std::size_t depth = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    char c = e[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '(' && ++depth > kMaxDepth) return "nests groups deeper than " + std::to_string(kMaxDepth);
    if (c == ')' && depth > 0) --depth;
    if (c == '{') {
      std::size_t j = i + 1, n = 0;
      while (j < e.size() && (std::isdigit(static_cast<unsigned char>(e[j])) || e[j] == ',')) {
        if (e[j] == ',') n = 0;
        else if ((n = n * 10 + static_cast<std::size_t>(e[j] - '0')) > kMaxRepeat)
          return "repeats more than " + std::to_string(kMaxRepeat) + " times";
        ++j;
      }
    }
  }
  return std::nullopt;
}

// An upper estimate of the NFA states libstdc++ builds for e: a repeat {n,m} copies what it repeats n times and
// adds m - n optional copies, so nested repeats multiply. Saturates far below overflow.
namespace {
constexpr std::size_t kCap = std::size_t{1} << 40;  // estimatedStates saturates here
}  // namespace

std::size_t estimatedStates(const std::string& e) {
  auto times = [](std::size_t a, std::size_t b) { return b != 0 && a > kCap / b ? kCap : std::min(a * b, kCap); };
  std::vector<std::size_t> outer;  // the sums of the enclosing groups
  std::size_t sum = 0;             // the states of the current group so far
  std::size_t last = 0;            // those of its last atom (what a repeat copies)
  for (std::size_t i = 0; i < e.size(); ++i) {
    const char c = e[i];
    if (c == '\\') {
      ++i;
    } else if (c == '[') {
      std::size_t j = i + 1;
      if (j < e.size() && e[j] == '^') ++j;
      if (j < e.size() && e[j] == ']') ++j;
      for (; j < e.size() && e[j] != ']'; ++j)
        if (e[j] == '\\') ++j;
      i = j;
    } else if (c == '(') {
      outer.push_back(sum);
      sum = last = 0;
      continue;
    } else if (c == ')' && !outer.empty()) {
      last = sum + 2;
      sum = std::min(outer.back() + last, kCap);
      outer.pop_back();
      continue;
    } else if (c == '{') {
      std::size_t j = i + 1, n = 0, m = 0;
      bool comma = false, digits = false;
      for (; j < e.size() && (std::isdigit(static_cast<unsigned char>(e[j])) || e[j] == ','); ++j) {
        if (e[j] == ',') {
          comma = true;
          continue;
        }
        std::size_t& v = comma ? m : n;
        v = std::min<std::size_t>(v * 10 + static_cast<std::size_t>(e[j] - '0'), kCap);
        digits = true;
      }
      if (digits && j < e.size() && e[j] == '}') {
        // An optional copy (past n) costs about twice a required one: the copy and a branch around it.
        const std::size_t copies = !comma ? n : m == 0 ? n + 2 : n + 2 * (std::max(n, m) - n);
        sum = std::min(sum - last + times(last, copies), kCap);
        last = times(last, copies);
        i = j;
        continue;
      }
    } else if (c == '*' || c == '+' || c == '?' || c == '|') {
      sum = std::min(sum + 1, kCap);
      if (c == '|') last = 0;
      continue;
    }
    sum = std::min(sum + 1, kCap);
    last = 1;
  }
  for (std::size_t s : outer) sum = std::min(sum + s, kCap);  // unbalanced: the compiler refuses it anyway
  return sum;
}

std::optional<std::string> checkRegex(const std::string& expression, std::size_t* statesLeft) {
  if (auto why = regexTooComplex(expression)) {
    return "expression \"" + shortened(expression) + "\" " + *why;
  }
  // Not compiled when it would be too big: libstdc++ gives up past kMaxRegexStates itself, but only after
  // building them (about 1 us each), and a 1 MiB file holds 25,000 such expressions.
  const std::size_t states = estimatedStates(expression);
  if (states > kMaxRegexStates)
    return "expression \"" + shortened(expression) + "\" expands to about " + std::to_string(states) +
           " states (its repeats multiply); at most " + std::to_string(kMaxRegexStates) + " are allowed";
  if (statesLeft != nullptr) {
    if (states > *statesLeft)
      return "expression \"" + shortened(expression) + "\" is one too many: the expressions of this file together "
             "may expand to at most " + std::to_string(kMaxConfigRegexStates) + " states (repeats multiply them)";
    *statesLeft -= states;
  }
  try {
    std::regex re(expression, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return "expression \"" + shortened(expression) + "\" is not a valid ECMAScript regex: " + e.what();
  }
  return std::nullopt;
}

}  // namespace fsrelay::config_detail
