// The log format in force: --log-format, else <fsrelay><log format>, else text.
#pragma once

#include "core/cli/options.hpp"
#include "core/config/config.hpp"
#include "core/log/log.hpp"

namespace fsrelay {

// Both inputs were validated (command line parser, config loader); anything else means text.
log::Format resolveLogFormat(const Config& config, const CliOptions& options);

}  // namespace fsrelay
