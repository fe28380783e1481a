// Log text of the command plugin: argv and captured output made into bounded, printable log lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fsrelay::command {

// Appends s so that the result stays one printable UTF-8 line: control bytes, DEL and invalid UTF-8
// become \xNN (file names are bytes; a log line must not be split or garbled by them).
void appendPrintable(std::string& out, std::string_view s);

// argv for a log line: words that need it are single-quoted, unprintable bytes shown as \xNN. At most
// maxWords words (then "... (N more)") and maxBytes bytes, so a batch of thousands stays one short line.
std::string renderArgv(const std::vector<std::string>& argv, std::size_t maxWords = 8,
                       std::size_t maxBytes = 1024);

// The last maxLines non-empty lines of a run's output, each printable and cut to maxLineBytes.
// truncated is set when earlier lines were left out.
std::vector<std::string> outputLines(std::string_view output, std::size_t maxLines, std::size_t maxLineBytes,
                                     bool* truncated);

}  // namespace fsrelay::command
