// Diagnostic formatting ("FILE:LINE: error: MESSAGE", the shape compilers use) and the sink behind it.
#include "core/config/diagnostics.hpp"

namespace fsrelay {

std::string Diagnostic::format() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += severity == Severity::Error ? ": error: " : ": warning: ";
  out += message;
  return out;
}

namespace config_detail {

void DiagnosticSink::error(int line, std::string message) {
  diagnostics_.push_back({Diagnostic::Severity::Error, file_, line, std::move(message)});
  ++errors_;
}

void DiagnosticSink::warning(int line, std::string message) {
  diagnostics_.push_back({Diagnostic::Severity::Warning, file_, line, std::move(message)});
}

}  // namespace config_detail
}  // namespace fsrelay
