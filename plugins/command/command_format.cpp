// Log text of the command plugin: captured output made into bounded, printable log lines.
#include "command_format.hpp"

#include <algorithm>

#include <fsrelay/plugin_kit.hpp>

namespace fsrelay::command {

std::vector<std::string> outputLines(std::string_view output, std::size_t maxLines, std::size_t maxLineBytes,
                                     bool* truncated) {
  std::vector<std::string> lines;
  if (truncated) *truncated = false;
  std::size_t end = output.size();
  while (end > 0) {
    std::size_t start = output.rfind('\n', end - 1);
    start = start == std::string_view::npos ? 0 : start + 1;
    std::string_view line = output.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\n')) line.remove_suffix(1);
    if (!line.empty()) {
      if (lines.size() == maxLines) {
        if (truncated) *truncated = true;
        break;
      }
      std::string text = sdk::kit::printable(line);
      sdk::kit::cutTo(text, maxLineBytes);
      lines.push_back(std::move(text));
    }
    end = start == 0 ? 0 : start - 1;
  }
  std::reverse(lines.begin(), lines.end());
  return lines;
}

}  // namespace fsrelay::command
