// Parsing and forming the control socket's request line.
#include "core/control/control_protocol.hpp"

namespace fsrelay {

std::optional<StatusFormat> parseControlRequest(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line == "status") return StatusFormat::Text;
  if (line == "status json") return StatusFormat::Json;
  return std::nullopt;
}

std::string controlRequest(StatusFormat format) { return format == StatusFormat::Json ? "status json\n" : "status\n"; }

std::string controlSocketPath(const std::string& stateDir) {
  if (!stateDir.empty() && stateDir.back() == '/') return stateDir + kControlSocketName;
  return stateDir + "/" + kControlSocketName;
}

}  // namespace fsrelay
