// Varnish: writes the VCL, runs varnishd in the foreground on a probed port, stops it by its PID.
#include "tests/support/refreshcdn_varnish.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "tests/support/rsync_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace fsrelay::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// PURGE removes the object hashed from the request's URL and Host, which is what the plugin sends.
std::string vclText(int backendPort) {
  return "vcl 4.1;\n"
         "backend default { .host = \"127.0.0.1\"; .port = \"" + std::to_string(backendPort) + "\"; }\n"
         "acl purgers { \"127.0.0.1\"; }\n"
         "sub vcl_recv {\n"
         "  if (req.method == \"PURGE\") {\n"
         "    if (client.ip !~ purgers) { return (synth(405, \"Not allowed\")); }\n"
         "    return (purge);\n"
         "  }\n"
         "}\n";
}

bool connects(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

Varnish::Varnish(const fs::path& dir, int backendPort) : dir_(dir), vcl_(dir / "varnish.vcl"), work_(dir / "work") {
  fs::create_directories(dir_);
  {
    std::ofstream out(vcl_);
    out << vclText(backendPort);
    if (!out) throw std::runtime_error("cannot write " + vcl_.string());
  }
  std::string problems;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int port = probeFreePort();
    std::string why;
    if (tryStart(port, &why)) {
      port_ = port;
      return;
    }
    problems += "\n  port " + std::to_string(port) + ": " + why;
  }
  throw std::runtime_error("could not start varnishd:" + problems);
}

bool Varnish::tryStart(int port, std::string* why) {
  removeTree(work_);
  // -j none: as root, the default jail would drop to the varnish user, which cannot enter the test's
  // private (0700) temp dir. -T none: no management port to collide with. Small malloc storage.
  process_ = std::make_unique<Process>(
      std::vector<std::string>{kVarnishd, "-F", "-j", "none", "-n", work_.string(), "-a",
                               "127.0.0.1:" + std::to_string(port), "-f", vcl_.string(), "-s", "malloc,32m", "-T",
                               "none", "-p", "default_ttl=600"},
      dir_ / "varnishd.log");
  if (process_->waitForLine("said Child starts", 20s) && answers(port, 5s)) return true;
  *why = process_->outputTail(15);
  process_->stop(5s);
  process_.reset();
  return false;
}

bool Varnish::answers(int port, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (connects(port)) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

Varnish::~Varnish() {
  if (process_) process_->stop(10s);
  process_.reset();
  removeTree(work_);
}

std::string Varnish::logTail(std::size_t lines) const { return process_ ? process_->outputTail(lines) : ""; }

}  // namespace fsrelay::test
