// cpp-httplib's Server with every connection bounded: a deadline and size limits for reading its request, a cap
// on connections, and a stop that shuts down open connections instead of waiting for slow clients.
#include "bounded_server.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace fsrelay::http {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Handed from the task queue to process_and_close_socket on the thread that runs it: cpp-httplib's accept loop
// passes only a closure (no socket, no time) to the queue.
thread_local bool tRefuse = false;       // answer 503 at once, without reading
thread_local Clock::time_point tAccepted;  // when the connection was accepted (queued)

int pollTimeout(Clock::time_point until) {
  const auto left = std::chrono::ceil<milliseconds>(until - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60 * 60 * 1000));
}

// Waits until fd has one of events, until `until`; false on timeout. EOF and errors count as ready: the
// recv or send that follows reports them.
bool waitFor(int fd, short events, Clock::time_point until) {
  while (true) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, pollTimeout(until));
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

void addressOf(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0) return;
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (::getnameinfo(sa, len, host, sizeof host, service, sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return;
  ip = host;
  port = std::atoi(service);
}

// Sent on the accept thread when every request thread is busy and the waiting room is full: never blocks.
void answerBusy(int fd) {
  static const std::string answer = [] {
    const std::string body = "{\"error\":\"too many connections; try again\"}\n";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) +
           "\r\nRetry-After: 1\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" + body;
  }();
  [[maybe_unused]] const ssize_t sent = ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

// One connection's socket as cpp-httplib's Stream: buffered reads bounded by the request's deadline and size
// limits, writes bounded by the write timeout.
class BoundedServer::Connection final : public httplib::Stream {
 public:
  enum class Cut { None, Deadline, Size };

  Connection(socket_t sock, const ConnectionLimits& limits, Clock::time_point accepted)
      : sock_(sock), limits_(limits), accepted_(accepted), deadline_(accepted + limits.requestTimeout) {}

  // The first bytes of a request, within the idle timeout (and the deadline). Data already received is
  // taken even when the deadline has passed while the connection waited for a thread.
  bool waitForRequest() const {
    return waitFor(sock_, POLLIN, std::min(accepted_ + limits_.idleTimeout, deadline_));
  }

  bool is_readable() const override { return begin_ < end_ || waitReadable(); }

  bool is_writable() const override {
    pollfd p{sock_, POLLOUT, 0};
    int r;
    while ((r = ::poll(&p, 1, static_cast<int>(limits_.writeTimeout.count()))) < 0 && errno == EINTR) {
    }
    return r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) == 0;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (size == 0) return 0;
    while (begin_ == end_) {
      if (!waitReadable()) {
        if (Clock::now() >= deadline_) cut_ = Cut::Deadline;
        return -1;
      }
      const ssize_t n = ::recv(sock_, buffer_, sizeof buffer_, MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) return n;  // EOF (also after closeConnections' shutdown) or an error
      begin_ = 0;
      end_ = static_cast<std::size_t>(n);
    }
    const std::size_t n = admit(buffer_ + begin_, std::min(size, end_ - begin_));
    if (n == 0) {
      cut_ = Cut::Size;
      return -1;
    }
    std::memcpy(ptr, buffer_ + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    responding_ = true;
    const Clock::time_point until = Clock::now() + limits_.writeTimeout;
    while (true) {
      const ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (!waitFor(sock_, POLLOUT, until)) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { addressOf(sock_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { addressOf(sock_, false, ip, port); }
  socket_t socket() const override { return sock_; }

  Cut cut() const { return cut_; }
  bool responding() const { return responding_; }

 private:
  // One read waits at most the read timeout, and never past the request's deadline.
  bool waitReadable() const {
    return waitFor(sock_, POLLIN, std::min(Clock::now() + limits_.readTimeout, deadline_));
  }

  // How many of the next n bytes (at p) may be handed on: the head (up to its empty line) and the body each
  // have a limit. 0: a limit is reached.
  std::size_t admit(const char* p, std::size_t n) {
    std::size_t i = 0;
    for (; i < n && !headDone_; ++i) {
      if (headBytes_ == limits_.maxHeadBytes) return i;
      ++headBytes_;
      if (p[i] == '\n') {
        if (lineEmpty_) {
          headDone_ = true;
        } else if (++headLines_ > limits_.maxHeadLines) {
          return i;
        }
        lineEmpty_ = true;
      } else if (p[i] != '\r') {
        lineEmpty_ = false;
      }
    }
    const std::size_t body = std::min(n - i, limits_.maxBodyBytes - bodyBytes_);
    bodyBytes_ += body;
    return i + body;
  }

  const socket_t sock_;
  const ConnectionLimits& limits_;
  const Clock::time_point accepted_;
  const Clock::time_point deadline_;
  char buffer_[16 * 1024];
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t headBytes_ = 0;
  std::size_t headLines_ = 0;
  bool lineEmpty_ = false;  // the line read so far is empty (only "\r"): its "\n" ends the head
  bool headDone_ = false;
  std::size_t bodyBytes_ = 0;
  Cut cut_ = Cut::None;
  std::atomic<bool> responding_{false};  // read by closeConnections
};

// The request threads, and a bounded waiting room in front of them. cpp-httplib's ThreadPool queues without a
// limit: every connection accepted while the threads are busy holds a file descriptor until its turn.
class BoundedServer::Queue final : public httplib::TaskQueue {
 public:
  Queue(std::size_t threads, std::size_t capacity) : capacity_(capacity) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }

  // Called by the accept loop with process_and_close_socket(sock) for each accepted connection.
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (busy_ + jobs_.size() < capacity_) {
        jobs_.push_back(Job{std::move(fn), Clock::now()});
        wake_.notify_one();
        return;
      }
    }
    // Full: run it here, where it answers 503 without reading and closes (see tRefuse).
    tRefuse = true;
    fn();
    tRefuse = false;
  }

  // Called by the accept loop when it ends: runs what is queued (closed at once while closing), then joins.
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  struct Job {
    std::function<void()> fn;
    Clock::time_point accepted;
  };

  void work() {
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        ++busy_;
      }
      tAccepted = job.accepted;
      job.fn();  // process_and_close_socket catches everything
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_;
    }
  }

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::size_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

BoundedServer::BoundedServer(ConnectionLimits limits) : limits_(limits) {
  new_task_queue = [this] { return new Queue(limits_.threads, limits_.threads + limits_.waiting); };
}

bool BoundedServer::bindToPort(const std::string& host, int port) {
  if (!bind_to_port(host, port)) return false;
  // listen() again on a listening socket only changes its backlog (Linux); failing that, 5 still works.
  ::listen(svr_sock_, static_cast<int>(limits_.threads + limits_.waiting));
  return true;
}

bool BoundedServer::track(Connection* c) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_) return false;
  open_.insert(c);
  return true;
}

void BoundedServer::untrack(Connection* c) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_.erase(c);
}

void BoundedServer::closeConnections(bool responses) {
  std::lock_guard<std::mutex> lock(mutex_);
  closing_ = true;
  // Safe from another thread: a listed connection's socket is not closed before it is unlisted (untrack).
  for (Connection* c : open_)
    if (responses || !c->responding()) ::shutdown(c->socket(), SHUT_RDWR);
}

// Replaces cpp-httplib's (keep-alive loop over process_request with its own socket stream): one request per
// connection, read through a Connection.
bool BoundedServer::process_and_close_socket(socket_t sock) {
  bool ok = false;
  if (tRefuse) {
    ++refusedConnections_;
    answerBusy(sock);
  } else {
    try {
      Connection c(sock, limits_, tAccepted);
      if (track(&c)) {
        try {
          bool closed = false;
          if (c.waitForRequest()) ok = process_request(c, /*close_connection=*/true, closed, nullptr);
        } catch (...) {
          ok = false;
        }
        untrack(&c);
        if (c.cut() == Connection::Cut::Deadline) ++requestTimeouts_;
        if (c.cut() == Connection::Cut::Size) ++oversizedRequests_;
      }
    } catch (...) {
      ok = false;
    }
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace fsrelay::http
