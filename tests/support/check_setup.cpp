// CheckSetup: a throwaway config for running fsrelay to completion.
#include "tests/support/check_setup.hpp"

#include "tests/support/scenario.hpp"

namespace fsrelay::test {

CheckSetup::CheckSetup() {
  writePrivateFile(passwordFile, "secret\n");
  config.localpath(src, {"t1", "t2"}).auth("fsrelay", passwordFile).port(8730).failLog(tmp / "fail.log");
}

RunResult CheckSetup::run(std::vector<std::string> args, std::chrono::milliseconds timeout) {
  config.write(configPath);
  std::vector<std::string> argv = {fsrelayBinary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProgram(std::move(argv), tmp / "out.log", timeout);
}

}  // namespace fsrelay::test
