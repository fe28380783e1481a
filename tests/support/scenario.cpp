// Scenario: wiring of the support pieces shared by the integration tests, and their failure reports.
#include "tests/support/scenario.hpp"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace fsrelay::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path fsrelayBinary() {
  const char* env = std::getenv("FSRELAY_BIN");
  if (env != nullptr && *env != '\0') return fs::path(env);
#ifdef FSRELAY_STAGE_BIN
  return fs::path(FSRELAY_STAGE_BIN);
#else
  throw std::runtime_error("FSRELAY_STAGE_BIN is not defined and FSRELAY_BIN is not set");
#endif
}

Scenario::Scenario(RsyncDaemonOptions daemonOptions)
    : tmp("fsrelay-it"),
      src(tmp.mkdir("src")),
      cwd(tmp.mkdir("cwd")),
      failLog(tmp / "fail.log"),
      configPath(tmp / "confxml.xml"),
      daemon(tmp / "rsyncd", std::move(daemonOptions)) {
  config = ConfigWriter::forDaemon(daemon, src);
  config.failLog(failLog).stateDir(tmp.mkdir("state"));
}

Scenario::~Scenario() {
  if (relay_) relay_->stop(10s);
  if (::testing::Test::HasFailure()) {
    if (relay_) std::cerr << "--- fsrelay log (last 40 lines) ---\n" << relay_->outputTail(40) << "\n";
    std::cerr << "--- rsync daemon log (last 20 lines) ---\n" << daemon.logTail(20) << "\n";
  }
}

Process& Scenario::startRelay(std::vector<std::string> args) {
  if (relay_) throw std::logic_error("startRelay: fsrelay already started");
  fs::path bin = fsrelayBinary();
  if (!fs::exists(bin))
    throw std::runtime_error("no fsrelay binary at " + bin.string() +
                             " (ctest's install_stage test installs it; or set FSRELAY_BIN)");
  config.write(configPath);
  std::vector<std::string> argv = {bin.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("-o");
  argv.push_back(configPath.string());
  relay_ = std::make_unique<Process>(std::move(argv), tmp / "fsrelay.log", SpawnOptions{cwd, {}});
  return *relay_;
}

Process& Scenario::restartRelay(std::vector<std::string> args) {
  if (relay_) {
    if (!relay_->waitExit(std::chrono::seconds(10))) throw std::logic_error("restartRelay: fsrelay still runs");
    logOffset_ = relay_->outputSize();
    relay_.reset();
  }
  return startRelay(std::move(args));
}

Process& Scenario::relay() {
  if (!relay_) throw std::logic_error("relay(): fsrelay not started");
  return *relay_;
}

::testing::AssertionResult Scenario::ready(std::chrono::milliseconds timeout) {
  if (relay().waitForLine("ready:", timeout, logOffset_)) return ::testing::AssertionSuccess();
  auto st = relay().waitExit(0ms);
  return ::testing::AssertionFailure() << "fsrelay did not log 'ready:' within " << timeout.count() << " ms"
                                       << (st ? "; it ended with " + st->describe() : "; still running");
}

::testing::AssertionResult Scenario::converged(std::chrono::milliseconds timeout, const ExcludeFn& exclude) {
  auto t0 = std::chrono::steady_clock::now();
  std::string diff = waitEqual(src, targets(), timeout, exclude);
  if (diff.empty()) return ::testing::AssertionSuccess();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  return ::testing::AssertionFailure() << "targets still differ from the source after " << ms.count() << " ms:\n"
                                       << diff;
}

::testing::AssertionResult Scenario::equalNow(const ExcludeFn& exclude) {
  std::string diff = compareTrees(src, targets(), exclude);
  if (diff.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "targets differ from the source:\n" << diff;
}

::testing::AssertionResult Scenario::terminatesCleanly(std::chrono::milliseconds timeout) {
  relay().signal(SIGTERM);
  auto st = relay().waitExit(timeout);
  if (!st) return ::testing::AssertionFailure() << "fsrelay still running " << timeout.count() << " ms after SIGTERM";
  if (!st->success()) return ::testing::AssertionFailure() << "fsrelay ended with " << st->describe() << " after SIGTERM";
  return ::testing::AssertionSuccess();
}

}  // namespace fsrelay::test
