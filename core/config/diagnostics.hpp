// Collects the loader's warnings and errors, each tagged with the config file and a line.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.hpp"

namespace fsrelay::config_detail {

class DiagnosticSink {
 public:
  explicit DiagnosticSink(std::string file) : file_(std::move(file)) {}

  void error(int line, std::string message);
  void warning(int line, std::string message);
  bool hasErrors() const { return errors_ > 0; }
  const std::string& file() const { return file_; }
  std::vector<Diagnostic> take() { return std::move(diagnostics_); }

 private:
  std::string file_;
  std::vector<Diagnostic> diagnostics_;
  int errors_ = 0;
};

}  // namespace fsrelay::config_detail
