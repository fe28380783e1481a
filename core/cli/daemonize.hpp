// -d: detach from the terminal and keep a pid file, for those who run fsrelay without a service manager.
#pragma once

#include <string>

namespace fsrelay {

// Forks into the background and points stdin/stdout/stderr at /dev/null. The parent waits: it exits 0 once
// the child calls reportStarted(*startedFd) (every watch in place), and 1, naming logFile, when the child
// ends first. Returns false with *error when it cannot; the caller is still attached.
bool daemonize(const std::string& pidFile, const std::string& logFile, int* startedFd, std::string* error);
// Tells the waiting parent of daemonize() that the daemon is up; closes fd. Safe to call with -1.
void reportStarted(int fd);
// Refuses to start when pidFile names a running process; removes a stale one.
bool checkPidFile(const std::string& pidFile, std::string* error);
void removePidFile(const std::string& pidFile);

}  // namespace fsrelay
