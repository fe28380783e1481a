// Backoff arithmetic.
#include "core/dispatch/retry_policy.hpp"

#include <algorithm>

namespace fsrelay {

std::chrono::milliseconds RetryPolicy::delay(int failures, double unit) const {
  if (failures < 1) return std::chrono::milliseconds(0);
  std::int64_t base = initial.count();
  std::int64_t cap = std::max<std::int64_t>(max.count(), base);
  std::int64_t d = base;
  for (int i = 1; i < failures && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  unit = std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(d / 2 + static_cast<std::int64_t>(static_cast<double>(d - d / 2) * unit));
}

}  // namespace fsrelay
