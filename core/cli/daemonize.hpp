// -d: detach from the terminal and keep a pid file, for those who run fsrelay without a service manager.
#pragma once

#include <string>

namespace fsrelay {

// Forks into the background (the parent exits 0 once the child has written the pid file) and points
// stdin/stdout/stderr at /dev/null. Returns false with *error when it cannot; the caller is still attached.
bool daemonize(const std::string& pidFile, std::string* error);
// Refuses to start when pidFile names a running process; removes a stale one.
bool checkPidFile(const std::string& pidFile, std::string* error);
void removePidFile(const std::string& pidFile);

}  // namespace fsrelay
