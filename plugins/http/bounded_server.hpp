// cpp-httplib's Server with every connection bounded: a deadline and size limits for reading its request, a cap
// on connections, and a stop that shuts down open connections instead of waiting for slow clients.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_set>

namespace fsrelay::http {

struct ConnectionLimits {
  std::size_t threads = 16;  // requests served at once (each holds a thread until its response is written)
  std::size_t waiting = 64;  // accepted connections waiting for a thread; one more is answered 503 at once
  // The whole request (request line, header fields and body) must arrive within this, counted from the
  // connection's accept. cpp-httplib's own read timeout applies to each read, so a client sending one byte
  // every few seconds would never time out. The response (an /events stream) is not bounded by it.
  std::chrono::milliseconds requestTimeout{10000};
  std::chrono::milliseconds idleTimeout{2000};   // a connection that sends nothing is closed after this
  std::chrono::milliseconds readTimeout{5000};   // one read waits at most this (and never past the deadline)
  std::chrono::milliseconds writeTimeout{3000};  // one write (a stalled /events client frees its thread)
  std::size_t maxHeadBytes = 72 * 1024;  // request line and header fields, read into memory as they come
  std::size_t maxHeadLines = 128;        // lines of the head (a header field is a line)
  std::size_t maxBodyBytes = 64 * 1024;
};

// Configure it as an httplib::Server (routes, handlers), except new_task_queue, which it sets itself, and the
// read timeout, which ConnectionLimits replaces. Set the write timeout to limits.writeTimeout: cpp-httplib
// applies it to accepted sockets (SO_SNDTIMEO).
class BoundedServer : public httplib::Server {
 public:
  explicit BoundedServer(ConnectionLimits limits);

  // bind_to_port, then a listen backlog of threads + waiting connections instead of cpp-httplib's 5 (compiled
  // into the library): with 5, a burst of connections has SYNs dropped and each retried a second later.
  bool bindToPort(const std::string& host, int port);

  // Shuts down (SHUT_RDWR) the sockets of the connections still reading their request, and with
  // responses=true those writing a response too (an /events stream ends, a slow reader is cut); their request
  // threads then see an error or EOF and finish. Connections accepted from now on are closed at once. For a
  // stop: call it after stop() until listen_after_bind() has returned. Any thread.
  void closeConnections(bool responses);

  std::uint64_t requestTimeouts() const { return requestTimeouts_.load(); }  // cut off at the deadline
  std::uint64_t oversizedRequests() const { return oversizedRequests_.load(); }  // cut off at a size limit
  std::uint64_t refusedConnections() const { return refusedConnections_.load(); }  // 503: too many connections

 private:
  class Connection;
  class Queue;

  bool process_and_close_socket(socket_t sock) override;
  // Registers an open connection; false when closing (the caller closes it unread).
  bool track(Connection* c);
  void untrack(Connection* c);

  const ConnectionLimits limits_;
  std::mutex mutex_;
  bool closing_ = false;                     // guarded by mutex_
  std::unordered_set<Connection*> open_;     // guarded by mutex_; their sockets are open while listed
  std::atomic<std::uint64_t> requestTimeouts_{0};
  std::atomic<std::uint64_t> oversizedRequests_{0};
  std::atomic<std::uint64_t> refusedConnections_{0};
};

}  // namespace fsrelay::http
