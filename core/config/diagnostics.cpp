// Diagnostic formatting ("FILE:LINE: error: MESSAGE", the shape compilers use), the sink behind it, value cutting.
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

namespace {

bool continuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The length of text's first bytes up to `max`, backed off (at most 3 bytes) so that a UTF-8 sequence is not
// split. Other bytes are kept as they are: values are bytes, not assumed UTF-8.
std::size_t headLength(std::string_view text, std::size_t max) {
  std::size_t n = max;
  for (int i = 0; i < 3 && n > 0 && continuationByte(text[n]); ++i) --n;
  return n;
}

// The same for the last bytes: where a tail of at most `max` bytes may start.
std::size_t tailStart(std::string_view text, std::size_t max) {
  std::size_t at = text.size() - max;
  for (int i = 0; i < 3 && at < text.size() && continuationByte(text[at]); ++i) ++at;
  return at;
}

}  // namespace

std::string shortened(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, headLength(text, max))) + "...";
}

std::string shortenedPath(std::string_view path) {
  if (path.size() <= kMaxQuotedPathBytes) return std::string(path);
  const std::size_t half = kMaxQuotedPathBytes / 2;
  return std::string(path.substr(0, headLength(path, half))) + "..." +
         std::string(path.substr(tailStart(path, half)));
}

void DiagnosticSink::error(int line, std::string message) {
  ++errors_;
  add(Diagnostic::Severity::Error, line, std::move(message));
}

void DiagnosticSink::warning(int line, std::string message) {
  add(Diagnostic::Severity::Warning, line, std::move(message));
}

void DiagnosticSink::add(Diagnostic::Severity severity, int line, std::string message) {
  if (diagnostics_.size() < kMaxDiagnostics) {
    diagnostics_.push_back({severity, file_, line, std::move(message)});
  } else {
    ++(severity == Diagnostic::Severity::Error ? droppedErrors_ : droppedWarnings_);
  }
}

std::vector<Diagnostic> DiagnosticSink::take() {
  if (droppedErrors_ + droppedWarnings_ > 0) {
    auto count = [](std::size_t n, const char* what) {
      return std::to_string(n) + " more " + what + (n == 1 ? "" : "s");
    };
    std::string message;
    if (droppedErrors_ > 0) message = count(droppedErrors_, "error");
    if (droppedWarnings_ > 0) message += (message.empty() ? "" : " and ") + count(droppedWarnings_, "warning");
    message += " not shown (only the first " + std::to_string(kMaxDiagnostics) + " diagnostics are)";
    // An error among them makes the summary one: the file is refused, and the summary must say so.
    diagnostics_.push_back({droppedErrors_ > 0 ? Diagnostic::Severity::Error : Diagnostic::Severity::Warning, file_,
                            0, std::move(message)});
    droppedErrors_ = droppedWarnings_ = 0;
  }
  return std::move(diagnostics_);
}

}  // namespace config_detail
}  // namespace fsrelay
