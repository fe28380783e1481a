// Where fsrelay keeps its own files (pid file, -d log): <fsrelay><state dir>, or a default per config file.
#pragma once

#include <string>

namespace fsrelay {

// Default: /var/lib/fsrelay/<config name>-<hash of its full path> for root, otherwise
// <config dir>/.fsrelay-<config name>.
std::string defaultStateDir(const std::string& configPath);
// Creates dir (mode 0700) and its parents; false with *error on failure.
bool ensureDir(const std::string& dir, std::string* error);

}  // namespace fsrelay
