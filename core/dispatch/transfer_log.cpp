// Per-target transfer lines: one at once after quiet, one summary per interval while busy.
#include "core/dispatch/transfer_log.hpp"

#include <cstdio>

#include "core/log/log.hpp"

namespace fsrelay {
namespace {

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return groupedNumber(n) + " " + (n == 1 ? one : many);
}

// "(100 upserts, 15 deletes, 5 moves)", naming only the kinds that occurred.
std::string breakdown(const DeliveryCounts& c) {
  std::string out;
  auto part = [&](std::uint64_t n, const char* one, const char* many) {
    if (n == 0) return;
    out += out.empty() ? " (" : ", ";
    out += plural(n, one, many);
  };
  part(c.upserts, "upsert", "upserts");
  part(c.deletes, "delete", "deletes");
  part(c.moves, "move", "moves");
  return out.empty() ? out : out + ")";
}

}  // namespace

std::string groupedNumber(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

TransferLog::TransferLog(std::string target, std::chrono::milliseconds interval, std::chrono::milliseconds quiet)
    : target_(std::move(target)), interval_(interval), quiet_(quiet) {}

TransferLine TransferLog::single(const DeliveryCounts& counts, std::chrono::milliseconds took) const {
  TransferLine line{target_ + ": sent " + plural(counts.total(), "change", "changes") + breakdown(counts) +
                        " in 1 batch, " + std::to_string(took.count()) + " ms",
                    counts, 1, took.count()};
  return line;
}

TransferLine TransferLog::summary() const {
  auto span = std::chrono::duration_cast<std::chrono::milliseconds>(pendingLastEnd_ - pendingFirstStart_);
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(span.count()) / 1000.0);
  std::string text = target_ + ": sent " + plural(pending_.total(), "change", "changes") + breakdown(pending_) + " in " +
                     plural(pendingBatches_, "batch", "batches") + " over " + secs + " s";
  return TransferLine{std::move(text), pending_, pendingBatches_, span.count()};
}

std::optional<TransferLine> TransferLog::delivered(const DeliveryCounts& counts, std::chrono::milliseconds took,
                                                   Time now) {
  if (counts.total() == 0) return std::nullopt;
  const bool quietBefore = (!lastDeliveryEnd_ || now - *lastDeliveryEnd_ >= quiet_) && (!lastLine_ || now - *lastLine_ >= quiet_);
  lastDeliveryEnd_ = now;
  if (pendingBatches_ == 0 && quietBefore) {
    lastLine_ = now;
    return single(counts, took);
  }
  if (pendingBatches_ == 0) pendingFirstStart_ = now - took;
  pending_.upserts += counts.upserts;
  pending_.deletes += counts.deletes;
  pending_.moves += counts.moves;
  ++pendingBatches_;
  pendingLastEnd_ = now;
  return due(now);
}

std::optional<TransferLine> TransferLog::due(Time now) {
  if (pendingBatches_ == 0) return std::nullopt;
  // Busy: one line per interval, counted from the last line (or from the stream's first pending batch).
  Time since = lastLine_ ? std::max(*lastLine_, pendingFirstStart_) : pendingFirstStart_;
  if (now - since >= interval_ || now - pendingLastEnd_ >= quiet_) return flush(now);
  return std::nullopt;
}

std::optional<TransferLine> TransferLog::flush(Time now) {
  if (pendingBatches_ == 0) return std::nullopt;
  TransferLine line = summary();
  pending_ = {};
  pendingBatches_ = 0;
  lastLine_ = now;
  return line;
}

void writeTransferLine(const std::string& target, const TransferLine& line) {
  log::Fields fields;
  fields.bytes("target", target)
      .number("count", static_cast<std::int64_t>(line.counts.total()))
      .number("batches", static_cast<std::int64_t>(line.batches))
      .number("upserts", static_cast<std::int64_t>(line.counts.upserts))
      .number("deletes", static_cast<std::int64_t>(line.counts.deletes))
      .number("moves", static_cast<std::int64_t>(line.counts.moves))
      .number("ms", line.ms);
  log::infoWith(fields, line.text);
}

}  // namespace fsrelay
