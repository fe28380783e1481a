// Pure helper of the http plugin's /metrics: appends the plugin's own metrics to the host's exposition text.
#include "metrics_format.hpp"

namespace fsrelay::http {
namespace {

std::string helpEscaped(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

}  // namespace

bool hasFamily(std::string_view text, std::string_view name) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, 7) == "# TYPE " || line.substr(0, 7) == "# HELP ") line.remove_prefix(7);
    else if (!line.empty() && line.front() == '#') continue;
    if (line.substr(0, name.size()) != name) continue;
    if (line.size() == name.size() || line[name.size()] == ' ' || line[name.size()] == '{') return true;
  }
  return false;
}

std::string appendMetrics(std::string_view hostText, const std::vector<Metric>& metrics) {
  std::string out(hostText);
  if (!out.empty() && out.back() != '\n') out += '\n';
  for (const Metric& m : metrics) {
    if (hasFamily(hostText, m.name)) continue;
    out += "# HELP " + m.name + " " + helpEscaped(m.help) + "\n";
    out += "# TYPE " + m.name + " " + m.type + "\n";
    out += m.name + " " + std::to_string(m.value) + "\n";
  }
  return out;
}

}  // namespace fsrelay::http
