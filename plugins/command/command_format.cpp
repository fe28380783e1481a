// Log text of the command plugin: argv and captured output made into bounded, printable log lines.
#include "command_format.hpp"

#include <algorithm>
#include <cstdio>

namespace fsrelay::command {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one.
std::size_t utf8Length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3;
  else if (c >= 0xF0 && c <= 0xF4) n = 4;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
      (c == 0xF4 && c1 > 0x8F)) {
    return 0;  // overlong, surrogate or beyond U+10FFFF
  }
  return n;
}

// Cuts s to at most max bytes without splitting a UTF-8 sequence, marking the cut with "...".
void cutTo(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t cut = max > 3 ? max - 3 : 0;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  s += "...";
}

}  // namespace

void appendPrintable(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = utf8Length(s, i);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
}

std::string renderArgv(const std::vector<std::string>& argv, std::size_t maxWords, std::size_t maxBytes) {
  std::string out;
  const std::size_t shown = std::min(argv.size(), maxWords);
  for (std::size_t k = 0; k < shown; ++k) {
    const std::string& w = argv[k];
    if (!out.empty()) out += ' ';
    const bool plain = !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
    });
    if (plain) {
      out += w;
      continue;
    }
    std::string quoted = "'";
    for (char c : w) {
      if (c == '\'') {
        quoted += "'\\''";
      } else {
        quoted += c;
      }
    }
    quoted += '\'';
    appendPrintable(out, quoted);
  }
  cutTo(out, maxBytes);
  if (shown < argv.size()) out += " ... (" + std::to_string(argv.size() - shown) + " more)";
  return out;
}

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
      std::string text;
      appendPrintable(text, line);
      cutTo(text, maxLineBytes);
      lines.push_back(std::move(text));
    }
    end = start == 0 ? 0 : start - 1;
  }
  std::reverse(lines.begin(), lines.end());
  return lines;
}

}  // namespace fsrelay::command
