// Logs an operator can live with, against the real binary and rsync daemon: a burst gives a handful of
// transfer lines, --log-format json gives one valid JSON object a line, a dead target's retries are limited.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::uint64_t parseGrouped(std::string digits) {
  std::erase(digits, ',');
  return std::stoull(digits);
}

TEST(Logging, burst_of_5000_files_gives_a_handful_of_transfer_lines_naming_target_and_count) {
  Scenario s;
  s.startRelay({});
  ASSERT_TRUE(s.ready());
  const std::size_t from = s.relay().outputSize();
  writeManyFiles(s.src, 5000, "burst");
  ASSERT_TRUE(s.converged(120s));
  // The summary of the stream's tail is written once the stream has paused (2 s); SIGTERM flushes the rest.
  ASSERT_TRUE(s.terminatesCleanly());

  static const std::regex kTransfer(R"( info: (.+): sent ([0-9,]+) changes? )");
  std::map<std::string, std::uint64_t> perTarget;
  int transferLines = 0;
  for (const auto& line : linesOf(s.relay().output().substr(from))) {
    std::smatch m;
    if (!std::regex_search(line, m, kTransfer)) continue;
    ++transferLines;
    perTarget[m[1]] += parseGrouped(m[2]);
  }
  EXPECT_GE(transferLines, 2);
  EXPECT_LT(transferLines, 20) << s.relay().output().substr(from);
  ASSERT_EQ(perTarget.size(), 2u) << "one set of lines per target (t1, t2)";
  for (const auto& [target, count] : perTarget) {
    EXPECT_NE(target.find("127.0.0.1"), std::string::npos) << target;
    EXPECT_GE(count, 5000u) << target;
  }
}

TEST(Logging, a_single_change_after_quiet_is_logged_at_once) {
  Scenario s;
  s.startRelay({});
  ASSERT_TRUE(s.ready());
  const std::size_t from = s.relay().outputSize();
  writeFile(s.src / "one.txt", "x");
  // Well inside the 10 s summary interval: the line does not wait for it.
  EXPECT_TRUE(s.relay().waitForLine(": sent 1 change (1 upsert) in 1 batch, ", 5s, from));
}

TEST(Logging, json_lines_are_valid_json_even_for_a_name_with_a_newline_and_invalid_utf8) {
  Scenario s;
  s.startRelay({"--log-format", "json", "--log-level", "debug"});
  ASSERT_TRUE(s.ready());
  writeFile(bytesPath(s.src, "nl\nname\xff\xfe.txt"), "hostile");
  writeManyFiles(s.src, 50, "j");
  ASSERT_TRUE(s.converged(60s));
  ASSERT_TRUE(s.terminatesCleanly());

  // Every line parses on its own, is UTF-8, has ts/level/msg; transfer lines carry target and count.
  const fs::path check = s.tmp / "check_json.py";
  writeFile(check,
            "import json, sys\n"
            "lines = open(sys.argv[1], 'rb').read().split(b'\\n')\n"
            "assert lines[-1] == b'', 'the log does not end with a newline'\n"
            "transfers = hostile = 0\n"
            "for raw in lines[:-1]:\n"
            "    o = json.loads(raw.decode('utf-8'))\n"
            "    assert isinstance(o, dict) and {'ts', 'level', 'msg'} <= o.keys(), raw\n"
            "    assert o['level'] in ('error', 'warn', 'info', 'debug'), raw\n"
            "    if ': sent ' in o['msg']:\n"
            "        assert isinstance(o['count'], int) and o['count'] > 0 and o['target'], raw\n"
            "        transfers += 1\n"
            "    if 'nl\\\\nname\\\\xff\\\\xfe.txt' in o['msg']:\n"
            "        hostile += 1\n"
            "assert transfers >= 2, 'no transfer lines with fields'\n"
            "assert hostile >= 1, 'the hostile name is not in any debug line'\n"
            "print('ok', len(lines) - 1)\n");
  RunResult r = runProgram({"python3", check.string(), s.relay().logFile().string()}, s.tmp / "check.out");
  EXPECT_TRUE(r.status.success()) << r.output;
  EXPECT_NE(r.output.find("ok "), std::string::npos) << r.output;
}

TEST(Logging, dead_target_retries_are_rate_limited_with_a_suppressed_summary) {
  RsyncDaemonOptions one;
  one.modules = {"t1"};
  Scenario s(one);
  s.config.retry(3, 100, 200);  // a probe every 100-200 ms: about 60 warnings in 10 s without the limit
  s.startRelay({});
  ASSERT_TRUE(s.ready());
  s.daemon.stop();
  const std::size_t from = s.relay().outputSize();
  writeFile(s.src / "lost.txt", "x");
  // The window is 10 s; its summary is written at most a second after it ends.
  ASSERT_TRUE(s.relay().waitForLine("similar lines suppressed in the last 10 s)", 25s, from));
  const std::string log = s.relay().output().substr(from);
  int failed = 0, summaries = 0;
  for (const auto& line : linesOf(log)) {
    if (line.find(": delivery failed (") == std::string::npos) continue;
    if (line.find("similar lines suppressed") != std::string::npos) {
      ++summaries;
      static const std::regex kCount(R"(\(([0-9]+) similar lines suppressed)");
      std::smatch m;
      ASSERT_TRUE(std::regex_search(line, m, kCount)) << line;
      EXPECT_GE(std::stoi(m[1]), 5) << line;
      EXPECT_NE(line.find(" warn: "), std::string::npos) << "the summary keeps the level: " << line;
    } else {
      ++failed;
    }
  }
  EXPECT_GE(summaries, 1) << log;
  // The first three of the window, maybe the first of the next one: not one line per retry.
  EXPECT_GE(failed, 1) << log;
  EXPECT_LE(failed, 6) << log;
}

TEST(Logging, check_prints_the_log_format_from_the_config_and_the_command_line_wins) {
  Scenario s;
  s.config.logLevel("info");
  std::string text = s.config.text();
  const std::string plain = "<log level=\"info\"/>";
  ASSERT_NE(text.find(plain), std::string::npos) << text;
  text.replace(text.find(plain), plain.size(), "<log level=\"info\" format=\"json\"/>");
  writeFile(s.configPath, text);
  RunResult fromConfig = runProgram({fsrelayBinary().string(), "--check", "-o", s.configPath.string()}, s.tmp / "c1.out");
  EXPECT_TRUE(fromConfig.status.success()) << fromConfig.output;
  EXPECT_NE(fromConfig.output.find("log: level=info format=json\n"), std::string::npos) << fromConfig.output;
  RunResult fromCli = runProgram(
      {fsrelayBinary().string(), "--check", "--log-format", "text", "-o", s.configPath.string()}, s.tmp / "c2.out");
  EXPECT_NE(fromCli.output.find("format=text (--log-format)"), std::string::npos) << fromCli.output;

  text.replace(text.find("format=\"json\""), 13, "format=\"yaml\"");
  writeFile(s.configPath, text);
  RunResult bad = runProgram({fsrelayBinary().string(), "--check", "-o", s.configPath.string()}, s.tmp / "c3.out");
  EXPECT_EQ(bad.status.code(), 2) << bad.output;
  // file:line, as every config error.
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(text.find("<log ")), '\n');
  EXPECT_NE(bad.output.find(s.configPath.string() + ":" + std::to_string(line) + ": error: format=\"yaml\" on <log> is not one of text, json"),
            std::string::npos)
      << bad.output;
}

}  // namespace
}  // namespace fsrelay::test
