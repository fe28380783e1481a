// Bounds on config text checked before TinyXML-2 parses it: the file's size, and attributes per element.
#include "core/config/xml_limits.hpp"

#include <algorithm>

#include "core/config/diagnostics.hpp"

namespace fsrelay::config_detail {

std::string tooLargeMessage() {
  return "the config file is larger than 1 MiB (" + std::to_string(kMaxConfigBytes) +
         " bytes) and was not read; a sersync confxml.xml is a few KB: is it the right file?";
}

std::optional<TextProblem> checkAttributeCounts(std::string_view text) {
  text = text.substr(0, text.find('\0'));
  const std::size_t n = text.size();
  std::size_t i = 0;
  int line = 1;
  auto lines = [&](std::size_t from, std::size_t to) {
    return static_cast<int>(std::count(text.data() + from, text.data() + to, '\n'));
  };
  // Moves i past the next `end` (or to the end of the text), counting lines.
  auto skipPast = [&](std::string_view end) {
    const std::size_t at = text.find(end, i);
    const std::size_t stop = at == std::string_view::npos ? n : at + end.size();
    line += lines(i, stop);
    i = stop;
  };
  while (i < n) {
    if (text[i] != '<') {
      if (text[i] == '\n') ++line;
      ++i;
      continue;
    }
    const std::string_view rest = text.substr(i);
    if (rest.starts_with("<!--")) {
      skipPast("-->");
    } else if (rest.starts_with("<![CDATA[")) {
      skipPast("]]>");
    } else if (rest.starts_with("<?")) {
      skipPast("?>");
    } else if (rest.starts_with("<!") || rest.starts_with("</")) {
      skipPast(">");
    } else {
      // A start tag: one '=' outside quotes per attribute.
      const int tagLine = line;
      const std::size_t nameStart = ++i;
      while (i < n && std::string_view(" \t\r\n/><").find(text[i]) == std::string_view::npos) ++i;
      const std::string_view name = text.substr(nameStart, i - nameStart);
      std::size_t attributes = 0;
      while (i < n && text[i] != '>' && text[i] != '<') {
        const char c = text[i];
        if (c == '\n') {
          ++line;
        } else if (c == '"' || c == '\'') {
          const std::size_t close = std::min(text.find(c, i + 1), n);
          line += lines(i, close);
          i = close;  // the closing quote, stepped over below
        } else if (c == '=' && ++attributes > kMaxAttributes) {
          return TextProblem{tagLine, "<" + shortened(name) + "> has more than " + std::to_string(kMaxAttributes) +
                                          " attributes (an element of confxml.xml has a handful); the file was "
                                          "not parsed"};
        }
        if (i < n) ++i;
      }
      // At '>' (stepped over by the outer loop) or '<' (a malformed tag: the next one starts there).
    }
  }
  return std::nullopt;
}

}  // namespace fsrelay::config_detail
