// Parses rsync's --info=progress2 lines as they stream in, keeping the other lines for failure messages.
#include "rsync_progress_format.hpp"

#include <algorithm>

namespace fsrelay::rsync {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

void skipSpaces(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
}

// Digits, optionally grouped with commas ("5,994,000"); false on anything else or on overflow.
bool takeNumber(std::string_view& s, bool commas, std::uint64_t* out) {
  std::uint64_t v = 0;
  std::size_t i = 0;
  bool any = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (commas && c == ',' && any && i + 1 < s.size() && isDigit(s[i + 1])) continue;
    if (!isDigit(c)) break;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
    any = true;
  }
  if (!any) return false;
  s.remove_prefix(i);
  *out = v;
  return true;
}

bool takeLiteral(std::string_view& s, std::string_view lit) {
  if (s.substr(0, lit.size()) != lit) return false;
  s.remove_prefix(lit.size());
  return true;
}

// A word without spaces (the rate "3.11MB/s", the time "0:00:01"): only checked to be there.
bool takeWord(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && s[n] != ' ' && s[n] != '(') ++n;
  if (n == 0) return false;
  s.remove_prefix(n);
  return true;
}

}  // namespace

std::optional<ProgressLine> parseProgressLine(std::string_view s) {
  ProgressLine line;
  skipSpaces(s);
  std::uint64_t pct = 0;
  if (!takeNumber(s, true, &line.bytes)) return std::nullopt;
  skipSpaces(s);
  if (!takeNumber(s, false, &pct) || pct > 100 || !takeLiteral(s, "%")) return std::nullopt;
  line.percent = static_cast<int>(pct);
  skipSpaces(s);
  if (!takeWord(s) || s.find("/s") == 0) return std::nullopt;  // the rate
  skipSpaces(s);
  if (!takeWord(s)) return std::nullopt;  // the time: elapsed or remaining
  skipSpaces(s);
  if (s.empty()) return line;
  std::uint64_t xfr = 0, left = 0, total = 0;
  if (!takeLiteral(s, "(xfr#") || !takeNumber(s, false, &xfr) || !takeLiteral(s, ", ")) return std::nullopt;
  if (takeLiteral(s, "to-chk=")) {
    line.totalsFinal = true;
  } else if (!takeLiteral(s, "ir-chk=")) {
    return std::nullopt;
  }
  if (!takeNumber(s, false, &left) || !takeLiteral(s, "/") || !takeNumber(s, false, &total) || !takeLiteral(s, ")"))
    return std::nullopt;
  skipSpaces(s);
  if (!s.empty() || left > total) return std::nullopt;
  line.hasFiles = true;
  line.filesTotal = total;
  line.filesDone = total - left;
  return line;
}

std::uint64_t estimatedTotalBytes(const ProgressLine& line) {
  if (line.percent <= 0) return 0;
  if (line.percent >= 100) return line.bytes;
  return line.bytes / static_cast<std::uint64_t>(line.percent) * 100 +
         line.bytes % static_cast<std::uint64_t>(line.percent) * 100 / static_cast<std::uint64_t>(line.percent);
}

bool ProgressParser::endLine() {
  bool changed = false;
  std::optional<ProgressLine> line;
  if (!cut_) line = parseProgressLine(partial_);
  if (line) {
    if (!line->hasFiles && latest_.hasFiles) {
      line->hasFiles = true;
      line->filesDone = latest_.filesDone;
      line->filesTotal = latest_.filesTotal;
      line->totalsFinal = latest_.totalsFinal;
    }
    latest_ = *line;
    seen_ = true;
    changed = true;
  } else if (partial_.find_first_not_of(' ') != std::string::npos) {
    other_ += partial_;
    other_.push_back('\n');
    if (other_.size() > keepBytes_) {
      // Drop whole lines from the front, so the tail starts at a line.
      std::size_t cut = other_.size() - keepBytes_;
      const std::size_t nl = other_.find('\n', cut);
      cut = nl == std::string::npos ? cut : nl + 1;
      other_.erase(0, cut);
    }
  }
  partial_.clear();
  cut_ = false;
  return changed;
}

bool ProgressParser::feed(std::string_view chunk) {
  bool changed = false;
  while (!chunk.empty()) {
    const std::size_t end = chunk.find_first_of("\r\n");
    const std::string_view piece = chunk.substr(0, end);
    const std::size_t room = kMaxLine - partial_.size();
    partial_.append(piece.data(), std::min(room, piece.size()));
    cut_ = cut_ || piece.size() > room;
    if (end == std::string_view::npos) break;
    changed = endLine() || changed;
    chunk.remove_prefix(end + 1);
  }
  return changed;
}

void ProgressParser::finish() {
  if (!partial_.empty()) endLine();
}

}  // namespace fsrelay::rsync
