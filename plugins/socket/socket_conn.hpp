// One outgoing TCP connection with timeouts (plain POSIX sockets): connect, write all, detect a dead peer.
#pragma once

#include <string>
#include <string_view>

namespace fsrelay::socketplugin {

class Connection {
 public:
  // What an idle connection's peer has done since we last wrote.
  enum class Peer {
    Alive,   // nothing happened (anything it sent was read and discarded)
    Closed,  // it closed cleanly (EOF): it had read everything we wrote before it closed
    Broken,  // reset, timed out or failed: what we wrote last may never have been read
  };

  Connection() = default;
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool isOpen() const { return fd_ >= 0; }

  // Connects to host:port (a name or an address, IPv4 or IPv6) within timeoutMs. userTimeoutMs > 0 sets
  // TCP_USER_TIMEOUT, so a peer that vanished without a reset fails the connection instead of hanging
  // it. On failure returns false with *error like "connect: connection refused".
  bool connect(const std::string& host, int port, int timeoutMs, int userTimeoutMs, std::string* error);

  // Writes every byte of data. Fails when no byte could be written for timeoutMs, or on an error; the
  // connection is then closed (what part of data reached the peer is unknown).
  bool writeAll(std::string_view data, int timeoutMs, std::string* error);

  // Non-blocking look at an idle connection; closes it unless the peer is Alive.
  Peer check();

  // Half-closes (FIN after the data) and closes: the end of a sersync-format message.
  void finish();
  void close();

 private:
  int fd_ = -1;
};

}  // namespace fsrelay::socketplugin
