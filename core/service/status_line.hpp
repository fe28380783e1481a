// The one-line STATUS= text systemd shows in `systemctl status` (pure, unit-tested).
#pragma once

#include <cstddef>
#include <string>

#include "core/engine/engine_observer.hpp"

namespace fsrelay {

// "watching 1234 dirs; queue 12; 2/3 targets in sync; 1 full sync running", with "starting: " before
// readiness and the failing targets and fail-log entries when there are any.
std::string serviceStatusLine(const EngineSummary& summary);
// The line sent with READY=1: "ready: ..." plus how many initial full syncs are still being retried.
std::string serviceReadyLine(const EngineSummary& summary, std::size_t retrying);

}  // namespace fsrelay
