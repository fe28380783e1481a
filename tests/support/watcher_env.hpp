// Whether fanotify can be used on this machine (tests/support/watcher_env.cpp), for tests that depend on it.
#pragma once

#include <string>

namespace fsrelay::test {

// "" when a fanotify group with FAN_REPORT_DFID_NAME and a filesystem mark on dir can be made; else why not.
std::string fanotifyUnavailable(const std::string& dir);

// True when the daemons the tests start watch with fanotify: the fanotify copy of the integration suite
// (FSRELAY_WATCHER=fanotify), or FSRELAY_WATCHER unset where "auto" picks fanotify. Such daemons count no
// watched directories, so texts that show the count differ.
bool suiteUsesFanotify();

}  // namespace fsrelay::test
