// Helpers shared by the config loader's unit tests (config_test, config_broken_test, config_bounds_test).
#pragma once

#include <filesystem>
#include <string>

#include "core/config/config.hpp"

namespace fsrelay::test {

// The source tree's root, for fixtures under tests/.
inline std::filesystem::path sourceDir() {
#ifdef FSRELAY_SOURCE_DIR
  return std::filesystem::path(FSRELAY_SOURCE_DIR);
#else
  // tests/unit/<this header> -> the source tree's root.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
#endif
}

// Every diagnostic, one per line, each cut at 300 bytes (a test about huge values must not print them).
inline std::string dump(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) {
    std::string line = d.format();
    if (line.size() > 300) line = line.substr(0, 300) + "... (" + std::to_string(line.size()) + " bytes)";
    out += line + "\n";
  }
  return out.empty() ? "(no diagnostics)\n" : out;
}

}  // namespace fsrelay::test
