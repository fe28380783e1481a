// A real `rsync --daemon` on 127.0.0.1 with authenticated modules, the peer of the integration tests.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/process.hpp"

namespace fsrelay::test {

struct RsyncDaemonOptions {
  std::vector<std::string> modules = {"t1", "t2"};
  int maxConnections = 0;  // per module; 0 = unlimited
  // Modules whose secrets file holds another password than the client's: every push there fails auth.
  std::vector<std::string> wrongPasswordModules;
  // Where it listens. A second daemon on another loopback address (127.0.0.2) can share the first one's
  // port, which a config needs: sersync's <userDefinedPort> is one port for every remote.
  std::string address = "127.0.0.1";
  int port = 0;          // 0: a probed free port
  std::string password;  // empty: a random one (set it to share a client password file with another daemon)
};

class RsyncDaemon {
 public:
  // Makes workDir (config, secrets, client password file, logs, one target dir per module) and starts the
  // daemon on a free port; returns once it lists its modules. Throws when it cannot be started.
  explicit RsyncDaemon(std::filesystem::path workDir, RsyncDaemonOptions options = {});
  ~RsyncDaemon();  // stops it by its PID
  RsyncDaemon(const RsyncDaemon&) = delete;
  RsyncDaemon& operator=(const RsyncDaemon&) = delete;

  // "Target down": stop() ends the daemon (SIGTERM, SIGKILL after 5 s); start() brings it back on the same port.
  void stop();
  void start();
  // "Target crashed": SIGKILL to every process of every session it forked (found by parent PID in /proc),
  // then to the daemon; a transfer in progress breaks off. start() brings it back on the same port.
  void crash();
  bool running() const { return process_ != nullptr; }

  int port() const { return port_; }
  const std::string& user() const { return user_; }
  const std::filesystem::path& passwordFile() const { return clientPasswordFile_; }  // mode 0600
  const std::filesystem::path& logPath() const { return log_; }
  const std::vector<std::string>& modules() const { return options_.modules; }
  std::filesystem::path moduleDir(std::string_view module) const;
  std::vector<std::filesystem::path> moduleDirs() const;
  std::string url(std::string_view module) const;  // rsync://USER@ADDRESS:PORT/MODULE/
  const std::string& address() const { return options_.address; }

  std::string logText() const;
  std::string logTail(std::size_t lines) const;
  int connections() const;                          // "connect from" lines: every TCP connection, refused ones too
  int connections(std::string_view module) const;   // connections that asked for this module (refused ones too)
  int authFailures(std::string_view module) const;

  // A plain rsync client push of srcDir's contents into module, with the client password file.
  RunResult push(const std::filesystem::path& srcDir, std::string_view module,
                 std::vector<std::string> extraArgs = {}) const;

 private:
  void writeConfig() const;
  bool tryStart(int port, std::string* why);
  bool answers(int port) const;

  std::filesystem::path dir_;
  RsyncDaemonOptions options_;
  std::string user_ = "fsrelay";
  std::string token_;  // in every module's comment: proves the daemon answering on the port is this one
  std::filesystem::path config_;
  std::filesystem::path log_;
  std::filesystem::path clientPasswordFile_;
  std::filesystem::path secrets_;
  std::filesystem::path wrongSecrets_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

// A port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close). Callers retry on collision.
int probeFreePort();

// Random lowercase hex, for passwords and unique names.
std::string randomHex(std::size_t chars);

}  // namespace fsrelay::test
