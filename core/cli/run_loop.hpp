// Running the engine, and replacing it on SIGHUP with one built from the configuration file as it is now.
#pragma once

#include <memory>
#include <string>

#include "core/cli/options.hpp"
#include "core/config/config.hpp"
#include "core/engine/engine.hpp"
#include "core/log/log.hpp"

namespace fsrelay {

// The log level the configuration and --log-level ask for; false with *error when --log-level is not one.
bool resolveLogLevel(const Config& config, const CliOptions& options, log::Level* level, std::string* error);
// <fsrelay><state dir>, or the default for the config file.
std::string stateDirFor(const Config& config, const CliOptions& options);

// Runs `engine` (prepared, built from `config`) until SIGTERM/SIGINT. On SIGHUP the file is read and checked
// while the engine keeps running; an invalid file is logged and ignored. A valid one: the engine delivers
// what is pending and stops, a new engine is built from the new file and started, and its journal covers
// the moment between the two (docs/reload.md). Returns the exit status.
int runWithReload(std::unique_ptr<Engine> engine, Config config, CliOptions options);

}  // namespace fsrelay
