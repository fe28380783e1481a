// Leveled logging to stderr (or a file in -d mode), one line per call, safe from any thread.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

#include "core/log/log_fields.hpp"

namespace fsrelay::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3 };
// Text: "2026-11-22T05:21:19.123 info: message". Json: one object a line (docs/logging.md).
enum class Format { Text, Json };

bool parseLevel(std::string_view text, Level* out);
const char* levelName(Level level);
bool parseFormat(std::string_view text, Format* out);
void setLevel(Level level);
void setFormat(Format format);
bool enabled(Level level);
// Sends further lines to path (appending, mode 0600); returns false and keeps stderr when it cannot.
bool toFile(const std::string& path);
// Opens the file of toFile() again (after logrotate moved it); true when logging goes to stderr.
bool reopen();
// Lines of a progress bar drawn below the log on a terminal (core/engine/progress_report): the next log
// line clears them first and takes their place. takeOverlay() returns what is still shown and forgets it.
void setOverlay(std::size_t lines);
std::size_t takeOverlay();
// Error, Warn and Info lines pass the repeat limiter (rate_limiter.hpp) first; Debug lines never do.
void write(Level level, std::string_view message);
// As write(), with structured fields: JSON lines carry them as members, text lines show only the message.
void write(Level level, std::string_view message, const Fields& fields);
// Writes the summaries of repeat windows that have ended; called about once a second by the engine so a
// summary does not wait for the next line.
void flushSuppressed();

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

// The same with fields: log::infoWith(log::Fields().text("target", name).number("count", n), name, ": sent ...").
template <typename... Args>
void warnWith(const Fields& fields, const Args&... args) { if (enabled(Level::Warn)) write(Level::Warn, cat(args...), fields); }
template <typename... Args>
void infoWith(const Fields& fields, const Args&... args) { if (enabled(Level::Info)) write(Level::Info, cat(args...), fields); }

}  // namespace fsrelay::log
