// Pure parser of rsync's --info=progress2 output, streamed in pieces, into counts the host shows (no I/O).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// C++17 on purpose, as rsync_args.hpp: the plugin target only requires cxx_std_17.
namespace fsrelay::rsync {

// One progress2 line: "      5,994,000  99%    3.11MB/s    0:00:01 (xfr#2997, to-chk=3/3001)".
struct ProgressLine {
  std::uint64_t bytes = 0;      // bytes sent so far in this run
  int percent = 0;              // of the size of every file listed so far (including files that need no transfer)
  bool hasFiles = false;        // the "(xfr#N, to-chk=R/T)" part was there (rsync leaves it out at first)
  std::uint64_t filesDone = 0;  // T - R: files checked so far
  std::uint64_t filesTotal = 0; // T: files listed so far
  bool totalsFinal = false;     // to-chk (the list is complete), not ir-chk (incremental recursion still listing)
};

std::optional<ProgressLine> parseProgressLine(std::string_view line);

// The size of everything listed, from the bytes sent and rsync's percentage; 0 when it says 0 %.
std::uint64_t estimatedTotalBytes(const ProgressLine& line);

// Follows rsync's output as it arrives: lines end at \r (progress redraws) or \n, and a chunk may end
// anywhere, even inside a number. Remembers the file counts when a later line has none, and keeps the
// tail of the other lines: what says why a run failed, which the redraws would push out of a plain tail.
class ProgressParser {
 public:
  explicit ProgressParser(std::size_t keepBytes = 16 * 1024) : keepBytes_(keepBytes) {}
  // True when chunk completed at least one progress line (latest() changed).
  bool feed(std::string_view chunk);
  // The output ended: an unterminated last line counts as a line.
  void finish();
  const ProgressLine& latest() const { return latest_; }
  bool seen() const { return seen_; }
  // The last lines that are not progress (at most keepBytes), each ending in \n.
  const std::string& otherOutput() const { return other_; }

 private:
  static constexpr std::size_t kMaxLine = 4096;  // a longer line is kept cut, and is no progress line
  bool endLine();

  std::size_t keepBytes_;
  std::string partial_;
  bool cut_ = false;  // partial_ reached kMaxLine: the rest of the line is dropped
  ProgressLine latest_;
  bool seen_ = false;
  std::string other_;
};

}  // namespace fsrelay::rsync
