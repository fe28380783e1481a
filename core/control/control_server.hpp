// The daemon's control socket (control.sock in its state folder): answers `fsrelay status` from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/control/control_protocol.hpp"

namespace fsrelay {

// One server for the process lifetime; the engine behind it changes on a reload (setSource). Requests are
// served one at a time, each within a deadline, on the server's own thread: the event loop never waits for a
// client, and a client that sends nothing or reads nothing is dropped after the deadline.
class ControlServer {
 public:
  // Builds the answer; called on the server thread, under the server's lock (setSource waits for it).
  using Source = std::function<std::string(StatusFormat)>;

  ControlServer() = default;
  ~ControlServer() { stop(); }
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Listens on STATEDIR/control.sock (mode 0600) and starts serving. A socket no daemon answers on (left by a
  // crash) is replaced; one a live daemon answers on is left alone. False with *error on a problem.
  bool start(const std::string& stateDir, std::string* error);
  // Joins the thread and removes the socket (only if it is still the one start() made).
  void stop();
  // What requests are answered from; empty: "the daemon is between two configurations" (a reload).
  void setSource(Source source);
  const std::string& path() const { return path_; }
  bool running() const { return thread_.joinable(); }

  // How long one client may take to send its line and read the answer.
  static constexpr std::chrono::milliseconds kClientDeadline{2000};

 private:
  void serve();
  void handle(int fd);

  std::string path_;
  int listenFd_ = -1;
  int stopFd_ = -1;  // eventfd: stop() wakes the thread's poll
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::mutex mutex_;
  Source source_;
  std::thread thread_;
};

}  // namespace fsrelay
