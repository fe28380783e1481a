// Leveled logging to stderr (or a file in -d mode), one line per call, safe from any thread.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace fsrelay::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3 };

bool parseLevel(std::string_view text, Level* out);
void setLevel(Level level);
bool enabled(Level level);
// Sends further lines to path (appending, mode 0600); returns false and keeps stderr when it cannot.
bool toFile(const std::string& path);
// Opens the file of toFile() again (after logrotate moved it); true when logging goes to stderr.
bool reopen();
void write(Level level, std::string_view message);

template <typename... Args>
std::string cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

template <typename... Args>
void error(const Args&... args) { write(Level::Error, cat(args...)); }
template <typename... Args>
void warn(const Args&... args) { if (enabled(Level::Warn)) write(Level::Warn, cat(args...)); }
template <typename... Args>
void info(const Args&... args) { if (enabled(Level::Info)) write(Level::Info, cat(args...)); }
template <typename... Args>
void debug(const Args&... args) { if (enabled(Level::Debug)) write(Level::Debug, cat(args...)); }

}  // namespace fsrelay::log
