// Thin Unix-stream-socket glue shared by the control server and `fsrelay status`: connect, and I/O with a deadline.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace fsrelay {

using Deadline = std::chrono::steady_clock::time_point;

// A connected, non-blocking, close-on-exec socket, or -1 with *error ("connect PATH: Connection refused") and
// *err (errno; ENAMETOOLONG when path does not fit a sockaddr_un).
int connectUnix(const std::string& path, std::string* error, int* err);
// Writes all of data before deadline; false on error or timeout.
bool writeAll(int fd, std::string_view data, Deadline deadline);
// Reads until EOF (or a '\n' when lineOnly) before deadline; false on error, timeout or more than maxBytes.
bool readUntil(int fd, std::string* out, bool lineOnly, std::size_t maxBytes, Deadline deadline);

}  // namespace fsrelay
