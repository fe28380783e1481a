// Collects the loader's warnings and errors, each tagged with the config file and a line; shortens quoted values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.hpp"

namespace fsrelay::config_detail {

// Values quoted in diagnostics (attribute values and names, element names, expressions) are cut to this many
// bytes: a 100 KB value would bury the message on a terminal, and its first bytes are enough to find it.
inline constexpr std::size_t kMaxQuotedBytes = 80;
// Paths are kept whole up to this many bytes (a real one rarely comes close).
inline constexpr std::size_t kMaxQuotedPathBytes = 256;

// text, or its first `max` bytes (not splitting a UTF-8 sequence) followed by "...".
std::string shortened(std::string_view text, std::size_t max = kMaxQuotedBytes);
// A path, or its start and its end (the name that tells) around "...", at most about kMaxQuotedPathBytes.
std::string shortenedPath(std::string_view path);

class DiagnosticSink {
 public:
  // The diagnostics kept; later ones are only counted and summed up in one last diagnostic (a file of 1 MiB
  // can hold 100,000 unknown elements, and a terminal full of warnings hides the error that matters).
  static constexpr std::size_t kMaxDiagnostics = 100;

  explicit DiagnosticSink(std::string file) : file_(std::move(file)) {}

  void error(int line, std::string message);
  void warning(int line, std::string message);
  bool hasErrors() const { return errors_ > 0; }
  const std::string& file() const { return file_; }
  std::vector<Diagnostic> take();

 private:
  void add(Diagnostic::Severity severity, int line, std::string message);

  std::string file_;
  std::vector<Diagnostic> diagnostics_;
  int errors_ = 0;
  std::size_t droppedErrors_ = 0;
  std::size_t droppedWarnings_ = 0;
};

}  // namespace fsrelay::config_detail
