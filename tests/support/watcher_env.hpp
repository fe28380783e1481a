// Whether fanotify can be used on this machine (tests/support/watcher_env.cpp), for tests that depend on it.
#pragma once

#include <string>

namespace fsrelay::test {

// "" when a fanotify group with FAN_REPORT_DFID_NAME and a filesystem mark on dir can be made; else why not.
std::string fanotifyUnavailable(const std::string& dir);

// True in the fanotify copy of the integration suite (FSRELAY_WATCHER=fanotify): the daemons it starts count
// no watched directories, so texts that show the count differ.
bool suiteUsesFanotify();

}  // namespace fsrelay::test
