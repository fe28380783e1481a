// Log text of the command plugin: captured output made into bounded, printable log lines. (argv and single
// words are rendered with kit::renderArgv and kit::printable: fsrelay/plugin_kit.hpp.)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fsrelay::command {

// The last maxLines non-empty lines of a run's output, each printable and cut to maxLineBytes.
// truncated is set when earlier lines were left out.
std::vector<std::string> outputLines(std::string_view output, std::size_t maxLines, std::size_t maxLineBytes,
                                     bool* truncated);

}  // namespace fsrelay::command
