// Capped exponential backoff with jitter, pure so tests can pin its numbers.
#pragma once

#include <chrono>
#include <cstdint>

namespace fsrelay {

struct RetryPolicy {
  int limit = 8;  // attempts for one change before it goes to the fail log
  std::chrono::milliseconds initial{250};
  std::chrono::milliseconds max{8000};

  // Delay after the n-th consecutive failure (n >= 1): half of min(max, initial * 2^(n-1)) fixed, the
  // other half random (unit in [0,1)), so many targets failing together do not retry in lockstep.
  std::chrono::milliseconds delay(int failures, double unit) const;
};

}  // namespace fsrelay
