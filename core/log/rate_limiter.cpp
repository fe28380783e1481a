// Per-shape and overall repeat windows for log lines, with "N similar lines suppressed" summaries.
#include "core/log/rate_limiter.hpp"

#include <cctype>

namespace fsrelay::log {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string shapeKey(Level level, std::string_view message) {
  std::string key;
  key.reserve(message.size() + 2);
  key.push_back(static_cast<char>('0' + static_cast<int>(level)));
  key.push_back(' ');
  for (std::size_t i = 0; i < message.size();) {
    if (!isDigit(message[i])) {
      key.push_back(message[i++]);
      continue;
    }
    // "12,345" and "3.5" are one number: a separator between two digits stays inside the run.
    while (i < message.size() &&
           (isDigit(message[i]) || ((message[i] == ',' || message[i] == '.') && i + 1 < message.size() &&
                                     isDigit(message[i + 1]))))
      ++i;
    key.push_back('#');
  }
  return key;
}

std::string RateLimiter::summaryText(std::string_view last, std::uint64_t n) const {
  return std::string(last) + " (" + std::to_string(n) + " similar line" + (n == 1 ? "" : "s") +
         " suppressed in the last " + std::to_string(limit_.window.count() / 1000) + " s)";
}

std::vector<RateLimiter::Summary> RateLimiter::due(Time now) {
  std::vector<Summary> out;
  if (now >= sweepAt_) {
    sweepAt_ = Time::max();
    for (auto it = slots_.begin(); it != slots_.end();) {
      Slot& s = it->second;
      if (now >= s.start + limit_.window) {
        if (s.suppressed > 0) out.push_back(Summary{s.level, summaryText(s.last, s.suppressed), s.suppressed});
        it = slots_.erase(it);
      } else {
        sweepAt_ = std::min(sweepAt_, s.start + limit_.window);
        ++it;
      }
    }
  }
  if (budgetOpen_ && now >= budgetStart_ + limit_.window) {
    if (budgetSuppressed_ > 0)
      out.push_back(Summary{Level::Warn,
                            std::to_string(budgetSuppressed_) + " log lines suppressed in the last " +
                                std::to_string(limit_.window.count() / 1000) + " s (more than " +
                                std::to_string(limit_.perWindow) + " warn and info lines in one window)",
                            budgetSuppressed_});
    budgetOpen_ = false;
    budgetPassed_ = 0;
    budgetSuppressed_ = 0;
  }
  return out;
}

RateLimiter::Verdict RateLimiter::admit(Level level, std::string_view message, Time now) {
  Verdict v;
  v.before = due(now);
  std::string key = shapeKey(level, message);
  auto it = slots_.find(key);
  if (it == slots_.end() && slots_.size() < limit_.maxKeys) {
    Slot fresh;
    fresh.start = now;
    fresh.level = level;
    it = slots_.emplace(std::move(key), std::move(fresh)).first;
    sweepAt_ = std::min(sweepAt_, now + limit_.window);
  }
  Slot* slot = it == slots_.end() ? nullptr : &it->second;
  if (slot && slot->passed >= limit_.perKey) {
    ++slot->suppressed;
    slot->last.assign(message);
    v.pass = false;
    return v;
  }
  if (level != Level::Error) {
    if (!budgetOpen_) {
      budgetOpen_ = true;
      budgetStart_ = now;
    }
    if (budgetPassed_ >= limit_.perWindow) {
      ++budgetSuppressed_;
      v.pass = false;
      return v;
    }
    ++budgetPassed_;
  }
  if (slot) ++slot->passed;
  return v;
}

}  // namespace fsrelay::log
