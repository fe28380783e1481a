// A valid config in a temp dir and a way to run the installed fsrelay on it to completion (no daemon).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/config_writer.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace fsrelay::test {

struct CheckSetup {
  TempDir tmp{"fsrelay-check"};
  std::filesystem::path src = tmp.mkdir("src");
  std::filesystem::path passwordFile = tmp / "rsync.password";
  std::filesystem::path configPath = tmp / "confxml.xml";
  ConfigWriter config;

  // src pushed to modules t1 and t2 on 127.0.0.1:8730 with auth (nothing listens: for --check and errors).
  CheckSetup();
  // Writes the config and runs `fsrelay ARGS...`, killed after timeout.
  RunResult run(std::vector<std::string> args, std::chrono::milliseconds timeout = std::chrono::seconds(30));
};

}  // namespace fsrelay::test
