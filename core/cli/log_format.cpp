// The log format in force: the command line over the configuration file.
#include "core/cli/log_format.hpp"

namespace fsrelay {

log::Format resolveLogFormat(const Config& config, const CliOptions& options) {
  log::Format format = log::Format::Text;
  if (!options.logFormat.empty()) log::parseFormat(options.logFormat, &format);
  else log::parseFormat(config.tuning.logFormat, &format);
  return format;
}

}  // namespace fsrelay
