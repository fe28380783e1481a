// Which deliveries of a target get an Info line: the first after a quiet spell at once, the rest of a busy
// stream folded into one summary per interval. Pure (time is an argument), so a fake clock tests it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <fsrelay/plugin.hpp>

namespace fsrelay {

struct DeliveryCounts {
  std::uint64_t upserts = 0;
  std::uint64_t deletes = 0;
  std::uint64_t moves = 0;

  void add(sdk::Op op) { op == sdk::Op::Delete ? ++deletes : op == sdk::Op::Move ? ++moves : ++upserts; }
  std::uint64_t total() const { return upserts + deletes + moves; }
};

// One line to write: "TARGET: sent 120 changes (100 upserts, 15 deletes, 5 moves) in 1 batch, 34 ms" or
// "TARGET: sent 12,345 changes (...) in 18 batches over 9.8 s".
struct TransferLine {
  std::string text;
  DeliveryCounts counts;
  std::uint64_t batches = 0;
  std::int64_t ms = 0;  // the one batch's duration, or the span from the first batch's start to the last's end
};

class TransferLog {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // quiet: a delivery that ends this long after the previous one (and after the last line) starts a new
  // stream and is written at once; a stream that pauses this long gets its summary.
  explicit TransferLog(std::string target, std::chrono::milliseconds interval = std::chrono::seconds(10),
                       std::chrono::milliseconds quiet = std::chrono::seconds(2));

  // A delivery that ended at now after took, with counts of changes delivered. Returns the line to write
  // now, if any; otherwise the delivery waits in the pending summary.
  std::optional<TransferLine> delivered(const DeliveryCounts& counts, std::chrono::milliseconds took, Time now);
  // The pending summary when its interval is over or its stream has paused; call it now and then.
  std::optional<TransferLine> due(Time now);
  // Whatever is pending, regardless of time (the target is stopping).
  std::optional<TransferLine> flush(Time now);

 private:
  TransferLine single(const DeliveryCounts& counts, std::chrono::milliseconds took) const;
  TransferLine summary() const;

  std::string target_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds quiet_;
  std::optional<Time> lastLine_;
  std::optional<Time> lastDeliveryEnd_;
  // The pending summary.
  DeliveryCounts pending_;
  std::uint64_t pendingBatches_ = 0;
  Time pendingFirstStart_{};
  Time pendingLastEnd_{};
};

// "12,345": counts in transfer lines are read by people.
std::string groupedNumber(std::uint64_t n);
// Writes line at Info, with target, count, batches, upserts, deletes, moves and ms as JSON fields.
void writeTransferLine(const std::string& target, const TransferLine& line);

}  // namespace fsrelay
