// Environment checks for config values; each returns the error text so the loader can attach a line.
#include "core/config/config_checks.hpp"

#include <cctype>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>
#include <system_error>

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

std::optional<std::string> checkDir(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return what + " " + path + " does not exist";
    return what + " " + path + " cannot be read: " + std::strerror(err);
  }
  if (!S_ISDIR(st.st_mode)) return what + " " + path + " is not a directory";
  return std::nullopt;
}

std::optional<std::string> checkWatchDir(const std::string& path) { return checkDir(path, "watch folder"); }

std::optional<std::string> checkPasswordFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
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
  if (::access(path.c_str(), R_OK) != 0)
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

std::optional<std::string> checkRegex(const std::string& expression) {
  if (auto why = regexTooComplex(expression)) {
    std::string shown = expression.size() > 60 ? expression.substr(0, 60) + "..." : expression;
    return "expression \"" + shown + "\" " + *why;
  }
  try {
    std::regex re(expression, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return "expression \"" + expression + "\" is not a valid ECMAScript regex: " + e.what();
  }
  return std::nullopt;
}

}  // namespace fsrelay::config_detail
