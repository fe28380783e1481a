// A TCP receiver on 127.0.0.1 for the socket plugin's tests: records what arrives, can go down and come back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fsrelay::test {

class SocketListener {
 public:
  // Listens on 127.0.0.1:port (0: a free port the kernel picks) with SO_REUSEADDR, so it can listen on
  // the same port again after stop().
  explicit SocketListener(int port = 0);
  ~SocketListener();  // stop()
  SocketListener(const SocketListener&) = delete;
  SocketListener& operator=(const SocketListener&) = delete;

  int port() const { return port_; }

  // The receiver goes down: stops listening (new connections are refused) and closes every accepted
  // connection, cleanly (FIN) or, with reset, abortively (RST, as a crashed receiver's kernel does).
  void stop(bool reset = false);
  // Listens on the same port again.
  void start();
  // Closes the accepted connections but keeps listening (a receiver that restarted quickly).
  void dropConnections(bool reset = false);

  // Complete lines received so far ('\n' removed), in arrival order; a line left unfinished when its
  // connection ended is not one (a record cut short, see partialLines()).
  std::vector<std::string> lines() const;
  std::size_t partialLines() const;
  // One entry per connection that has ended: every byte it carried (the sersync format's messages).
  std::vector<std::string> messages() const;
  std::size_t accepted() const;

  // Waits until pred(lines()) holds; true when it did within timeout.
  bool waitLines(const std::function<bool(const std::vector<std::string>&)>& pred, std::chrono::milliseconds timeout) const;
  bool waitMessages(const std::function<bool(const std::vector<std::string>&)>& pred,
                    std::chrono::milliseconds timeout) const;

 private:
  struct Client {
    int fd;
    std::string buffer;    // bytes after the last '\n'
    std::string message;   // every byte of this connection
  };

  void open();
  void run();
  void closeClient(Client& c, bool reset);
  // Runs a change on the listener thread and waits for it: closing a socket another thread is polling
  // would only take effect when that poll returns.
  void command(bool closeListener, bool dropClients, bool reset, bool reopen);
  void runCommandLocked();
  void wake();

  int port_ = 0;
  int listenFd_ = -1;
  int wakePipe_[2] = {-1, -1};
  bool quit_ = false;
  struct Command {
    bool closeListener = false;
    bool dropClients = false;
    bool reset = false;
    bool reopen = false;
  };
  Command pending_;
  std::string error_;
  std::uint64_t requested_ = 0;
  std::uint64_t done_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<Client> clients_;
  std::vector<std::string> lines_;
  std::vector<std::string> messages_;
  std::size_t partial_ = 0;
  std::size_t accepted_ = 0;
  std::thread thread_;
};

}  // namespace fsrelay::test
