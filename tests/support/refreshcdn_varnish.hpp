// A real Varnish cache on 127.0.0.1 for the refreshcdn tests: own working dir, foreground, stopped by its PID.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/process.hpp"

namespace fsrelay::test {

inline constexpr char kVarnishd[] = "/usr/sbin/varnishd";

class Varnish {
 public:
  // Writes dir/varnish.vcl (backend 127.0.0.1:backendPort, PURGE allowed from 127.0.0.1 only) and starts
  // `varnishd -F -j none -n dir/work` on a free port; returns once it answers HTTP. Throws std::runtime_error
  // with varnishd's own output when it cannot be started.
  Varnish(const std::filesystem::path& dir, int backendPort);
  // SIGTERM to the manager (the PID we hold; -F keeps it in the foreground, it stops its child), wait, then
  // remove the working dir.
  ~Varnish();
  Varnish(const Varnish&) = delete;
  Varnish& operator=(const Varnish&) = delete;

  int port() const { return port_; }
  std::string logTail(std::size_t lines) const;

 private:
  bool tryStart(int port, std::string* why);
  bool answers(int port, std::chrono::milliseconds timeout) const;

  std::filesystem::path dir_;
  std::filesystem::path vcl_;
  std::filesystem::path work_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace fsrelay::test
