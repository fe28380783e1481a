// The command plugin in the installed daemon: a recording script sees every change, byte for byte, with its op.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// One run of the recording script.
struct Record {
  std::string op;
  std::string path;     // FSRELAY_PATH
  std::string oldPath;  // FSRELAY_OLD_PATH
  std::string isDir;
  std::string count;
  std::string root;
  std::vector<std::string> argv;  // $1 ... (the script's own name is not in it)
};

using Records = std::vector<Record>;

// A /bin/sh script that appends each run as NUL-terminated fields (so any byte of a name survives):
// "R", the FSRELAY_* variables, $#, then every argument. It exits 7 while its fail counter is above 0.
class Recorder {
 public:
  explicit Recorder(const fs::path& dir)
      : script_(dir / "record.sh"), out_(dir / "records"), fails_(dir / "fails"), delay_(dir / "delay") {
    writeFile(script_,
              "#!/bin/sh\n"
              "printf '%s\\0' R \"$FSRELAY_OP\" \"$FSRELAY_PATH\" \"$FSRELAY_OLD_PATH\" \"$FSRELAY_IS_DIR\" "
              "\"$FSRELAY_COUNT\" \"$FSRELAY_ROOT\" \"$#\" \"$@\" >> '" + out_.string() + "'\n"
              "if [ -s '" + delay_.string() + "' ]; then sleep \"$(cat '" + delay_.string() + "')\"; fi\n"
              "if [ -s '" + fails_.string() + "' ]; then\n"
              "  n=$(cat '" + fails_.string() + "')\n"
              "  if [ \"$n\" -gt 0 ]; then echo $((n - 1)) > '" + fails_.string() + "'; "
              "echo \"failing on purpose ($n left)\"; exit 7; fi\n"
              "fi\n"
              "echo \"recorded $FSRELAY_OP $FSRELAY_COUNT\"\n");
  }

  // param.prefix running the script with the sersync sample's /bin/sh.
  std::string prefix() const { return "/bin/sh '" + script_.string() + "'"; }
  void failNext(int runs) const { writeFile(fails_, std::to_string(runs) + "\n"); }
  // Each run sleeps this long after recording itself ("" = not at all).
  void delay(const std::string& seconds) const { writeFile(delay_, seconds); }

  Records records() const {
    Records out;
    if (!fs::exists(out_)) return out;
    const std::string data = readFile(out_);
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
      if (data[i] == '\0') {
        fields.push_back(data.substr(start, i - start));
        start = i + 1;
      }
    }
    for (std::size_t i = 0; i + 8 <= fields.size();) {
      if (fields[i] != "R") return out;  // a record still being written
      Record r{fields[i + 1], fields[i + 2], fields[i + 3], fields[i + 4], fields[i + 5], fields[i + 6], {}};
      const std::size_t argc = std::stoul(fields[i + 7]);
      if (i + 8 + argc > fields.size()) return out;
      r.argv.assign(fields.begin() + static_cast<long>(i + 8), fields.begin() + static_cast<long>(i + 8 + argc));
      out.push_back(std::move(r));
      i += 8 + argc;
    }
    return out;
  }

  // Polls the records until pred holds; the last records in *last either way.
  bool waitFor(const std::function<bool(const Records&)>& pred, std::chrono::milliseconds timeout,
               Records* last = nullptr) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Records r;
    while (true) {
      r = records();
      if (pred(r) || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(50ms);
    }
    const bool ok = pred(r);
    if (last) *last = std::move(r);
    return ok;
  }

 private:
  fs::path script_;
  fs::path out_;
  fs::path fails_;
  fs::path delay_;
};

// The records whose single argument is path.
std::size_t runsFor(const Records& records, const std::string& path) {
  return static_cast<std::size_t>(std::count_if(records.begin(), records.end(), [&](const Record& r) {
    return r.argv.size() == 1 && r.argv[0] == path;
  }));
}

const Record* findRun(const Records& records, const std::string& op, const std::string& path) {
  for (const Record& r : records) {
    if (r.op == op && r.argv.size() == 1 && r.argv[0] == path) return &r;
  }
  return nullptr;
}

std::string describe(const Records& records) {
  std::string out;
  for (const Record& r : records) {
    out += "  op=" + r.op + " path=" + escapeName(r.path) + " old=" + escapeName(r.oldPath) + " argv=[";
    for (std::size_t i = 0; i < r.argv.size() && i < 5; ++i) out += (i ? ", " : "") + escapeName(r.argv[i]);
    if (r.argv.size() > 5) out += ", ... " + std::to_string(r.argv.size()) + " in all";
    out += "]\n";
  }
  return out.empty() ? "  (no runs)\n" : out;
}

// <plugin name="command"> with the given <param> attributes (already XML) and include expressions.
std::string commandSection(const Recorder& rec, const std::string& paramAttrs,
                           const std::vector<std::string>& includes = {}) {
  std::string x = "<plugin name=\"command\">\n        <param prefix=\"" + xmlEscape(rec.prefix()) + "\" " + paramAttrs +
                  "/>\n        <filter start=\"" + (includes.empty() ? "false" : "true") + "\">\n";
  for (const std::string& e : includes) x += "            <include expression=\"" + xmlEscape(e) + "\"/>\n";
  x += "        </filter>\n    </plugin>";
  return x;
}

std::size_t countLines(const std::string& log, const std::string& a, const std::string& b = "") {
  std::size_t n = 0;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string_view line(log.data() + start, end - start);
    if (line.find(a) != std::string_view::npos && (b.empty() || line.find(b) != std::string_view::npos)) ++n;
    start = end + 1;
  }
  return n;
}

// text as an ECMAScript regex matching exactly it.
std::string regexEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

bool treeEmpty(const fs::path& dir) { return !fs::exists(dir) || fs::is_empty(dir); }

TEST(CommandPlugin, plugin_only_mode_runs_per_change_with_the_operation) {
  Scenario s;
  Recorder rec(s.tmp.path());
  s.config.pluginSection(commandSection(rec, "suffix=\"\" ignoreError=\"true\""));
  writeFile(s.src / "existing.txt", "before start\n");
  s.startRelay({"-r", "-m", "command"});
  ASSERT_TRUE(s.ready());

  const std::string a = (s.src / "a.txt").string();
  writeFile(s.src / "a.txt", "one\n");
  Records r;
  ASSERT_TRUE(rec.waitFor([&](const Records& x) { return findRun(x, "upsert", a) != nullptr; }, 10s, &r))
      << describe(r);
  const Record* created = findRun(r, "upsert", a);
  EXPECT_EQ(created->path, "a.txt");
  EXPECT_EQ(created->oldPath, "");
  EXPECT_EQ(created->isDir, "0");
  EXPECT_EQ(created->count, "1");
  EXPECT_EQ(created->root, s.src.string());

  appendFile(s.src / "a.txt", "two\n");
  ASSERT_TRUE(rec.waitFor([&](const Records& x) { return runsFor(x, a) >= 2; }, 10s, &r)) << describe(r);

  fs::rename(s.src / "a.txt", s.src / "b.txt");
  const std::string b = (s.src / "b.txt").string();
  ASSERT_TRUE(rec.waitFor([&](const Records& x) { return findRun(x, "move", b) != nullptr; }, 10s, &r))
      << describe(r);
  EXPECT_EQ(findRun(r, "move", b)->oldPath, "a.txt");

  fs::remove(s.src / "b.txt");
  ASSERT_TRUE(rec.waitFor([&](const Records& x) { return findRun(x, "delete", b) != nullptr; }, 10s, &r))
      << describe(r);
  EXPECT_EQ(findRun(r, "delete", b)->path, "b.txt");

  fs::create_directory(s.src / "newdir");
  const std::string dir = (s.src / "newdir").string();
  ASSERT_TRUE(rec.waitFor([&](const Records& x) { return findRun(x, "upsert", dir) != nullptr; }, 10s, &r))
      << describe(r);
  EXPECT_EQ(findRun(r, "upsert", dir)->isDir, "1");

  // -r's full sync runs nothing by default, and -m means no rsync push.
  EXPECT_EQ(runsFor(r, (s.src / "existing.txt").string()), 0u) << describe(r);
  EXPECT_EQ(runsFor(r, s.src.string()), 0u) << describe(r);
  for (const fs::path& t : s.targets()) EXPECT_TRUE(treeEmpty(t)) << t << " got files in -m command mode";
  // The script's output reaches fsrelay's log.
  EXPECT_TRUE(s.relay().waitForLine("recorded upsert 1", 5s));
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(CommandPlugin, hostile_names_arrive_as_one_exact_argument_and_nothing_runs_from_them) {
  Scenario s;
  Recorder rec(s.tmp.path());
  s.config.pluginSection(commandSection(rec, "ignoreError=\"true\""));
  s.startRelay({"-m", "command"});
  ASSERT_TRUE(s.ready());

  const std::string marker = "pwned-" + randomHex(10);
  const std::vector<std::string> names = {
      "with space.txt",   "new\nline",           "trailing newline\n",      "-leading-dash",
      "--help",           "tab\there",           "single'quote",            "double\"quote",
      "back\\slash",      "glob*?[ab]",          "semi;colon&amp|pipe>x",   "\xff\xfe not utf-8",
      "{op}{path}",       "$(touch " + marker + "-cmdsub)", "`touch " + marker + "-backquote`",
      "\"; touch " + marker + "-semicolon; \"",
  };
  for (const std::string& n : names) writeFile(bytesPath(s.src, n), "x\n");

  Records r;
  auto all = [&](const Records& x) {
    return std::all_of(names.begin(), names.end(), [&](const std::string& n) {
      return findRun(x, "upsert", s.src.string() + "/" + n) != nullptr;
    });
  };
  EXPECT_TRUE(rec.waitFor(all, 15s, &r)) << describe(r);
  for (const std::string& n : names) {
    const Record* run = findRun(r, "upsert", s.src.string() + "/" + n);
    if (run == nullptr) {
      ADD_FAILURE() << "no run with exactly the argument " << escapeName(s.src.string() + "/" + n);
      continue;
    }
    EXPECT_EQ(run->path, n) << escapeName(n);
  }
  for (const fs::path& place : {fs::path("/tmp"), s.cwd, s.src, s.tmp.path()}) {
    for (const auto& e : fs::directory_iterator(place)) {
      EXPECT_NE(e.path().filename().string().rfind(marker, 0), 0u) << "a shell ran a name: " << e.path();
    }
  }
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(CommandPlugin, include_filter_selects_by_absolute_path) {
  Scenario s;
  Recorder rec(s.tmp.path());
  // The second expression only matches through the absolute path (the root's own directory name).
  s.config.pluginSection(
      commandSection(rec, "ignoreError=\"true\"", {"(.*)\\.php", regexEscape(s.src.string()) + "/keep/.*"}));
  s.startRelay({"-m", "command"});
  ASSERT_TRUE(s.ready());

  fs::create_directory(s.src / "keep");
  writeFile(s.src / "skip.txt", "x\n");
  writeFile(s.src / "skip.php.bak", "x\n");
  writeFile(s.src / "keep" / "any.txt", "x\n");
  writeFile(s.src / "new\nline.php", "x\n");
  writeFile(s.src / "z-last.php", "x\n");
  Records r;
  ASSERT_TRUE(rec.waitFor([&](const Records& x) { return runsFor(x, (s.src / "z-last.php").string()) > 0; }, 10s,
                          &r))
      << describe(r);
  std::this_thread::sleep_for(300ms);  // anything wrongly run with them would have arrived by now
  r = rec.records();
  // At least once: a file made right after its new directory can be reported both by its own event and by
  // the scan of the directory once its watch is in place (delivery is at least once, see docs/plugins.md).
  EXPECT_GE(runsFor(r, (s.src / "keep" / "any.txt").string()), 1u) << describe(r);
  EXPECT_EQ(runsFor(r, s.src.string() + "/new\nline.php"), 1u) << describe(r);
  EXPECT_EQ(runsFor(r, (s.src / "skip.txt").string()), 0u) << describe(r);
  EXPECT_EQ(runsFor(r, (s.src / "skip.php.bak").string()), 0u) << describe(r);
  EXPECT_EQ(runsFor(r, (s.src / "keep").string()), 0u) << "the directory itself does not match" << describe(r);
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(CommandPlugin, batch_mode_gives_one_run_for_many_files) {
  Scenario s;
  Recorder rec(s.tmp.path());
  s.config.pluginSection(commandSection(rec, "batch=\"true\" fullSync=\"true\" ignoreError=\"true\""));
  s.startRelay({"-r", "-m", "command"});
  ASSERT_TRUE(s.ready());

  // -r with fullSync="true": one run with the root, op sync.
  Records r;
  ASSERT_TRUE(rec.waitFor([&](const Records& x) { return findRun(x, "sync", s.src.string()) != nullptr; }, 10s, &r))
      << describe(r);

  // A directory of 200 files moved in at once: the host reports all of them together.
  const fs::path staging = s.tmp.mkdir("staging/batch");
  writeManyFiles(staging, 200, "f", ".txt");
  fs::rename(staging, s.src / "batch");
  auto covered = [&](const Records& x) {
    std::size_t n = 0;
    for (const Record& rr : x) {
      if (rr.op != "upsert") continue;
      for (const std::string& p : rr.argv) {
        if (p.rfind((s.src / "batch" / "f").string(), 0) == 0) ++n;
      }
    }
    return n >= 200;
  };
  ASSERT_TRUE(rec.waitFor(covered, 15s, &r)) << describe(r);
  std::size_t upsertRuns = 0;
  std::size_t biggest = 0;
  for (const Record& rr : r) {
    if (rr.op != "upsert") continue;
    ++upsertRuns;
    biggest = std::max(biggest, rr.argv.size());
    EXPECT_EQ(rr.count, std::to_string(rr.argv.size()));
    EXPECT_EQ(rr.path, "");
  }
  EXPECT_LE(upsertRuns, 5u) << describe(r);
  EXPECT_GE(biggest, 100u) << describe(r);

  // Deleting them: delete runs, with the paths as arguments.
  fs::remove_all(s.src / "batch");
  ASSERT_TRUE(rec.waitFor([&](const Records& x) {
    return std::any_of(x.begin(), x.end(), [&](const Record& rr) {
      return rr.op == "delete" && std::find(rr.argv.begin(), rr.argv.end(), (s.src / "batch").string()) != rr.argv.end();
    });
  }, 10s, &r)) << describe(r);
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(CommandPlugin, failing_command_is_retried_by_the_host_when_errors_are_not_ignored) {
  Scenario s;
  s.config.retry(5, 50, 100);
  Recorder rec(s.tmp.path());
  s.config.pluginSection(commandSection(rec, "ignoreError=\"false\""));
  s.startRelay({"-m", "command"});
  ASSERT_TRUE(s.ready());

  rec.failNext(2);
  const std::string f = (s.src / "flaky.txt").string();
  writeFile(f, "x\n");
  Records r;
  EXPECT_TRUE(rec.waitFor([&](const Records& x) { return runsFor(x, f) >= 3; }, 15s, &r)) << describe(r);
  std::this_thread::sleep_for(500ms);
  r = rec.records();
  EXPECT_EQ(runsFor(r, f), 3u) << "two failed runs, then one that succeeded\n" << describe(r);
  const std::string log = s.relay().output();
  EXPECT_EQ(countLines(log, "exit 7", "flaky.txt"), 2u) << s.relay().outputTail(30);
  EXPECT_GE(countLines(log, "failing on purpose"), 2u) << "the command's output is logged\n" << s.relay().outputTail(30);
  EXPECT_TRUE(!fs::exists(s.failLog) || readFile(s.failLog).find("flaky.txt") == std::string::npos);
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(CommandPlugin, ignored_failure_runs_once_and_exhausted_retries_reach_the_fail_log) {
  Scenario s;
  s.config.retry(2, 50, 100);
  Recorder lax(s.tmp.mkdir("lax"));
  Recorder strict(s.tmp.mkdir("strict"));
  // Two roots in one section, each <localpath watch> with its own settings: one ignores errors, one does not.
  const fs::path other = s.tmp.mkdir("other");
  s.config.localpath(other, {s.daemon.modules().front()});
  auto body = [](const Recorder& rec, const std::string& attrs, const fs::path& root) {
    const std::string section = commandSection(rec, attrs);
    const std::size_t from = section.find("<param");
    const std::size_t to = section.rfind("</plugin>");
    return "    <localpath watch=\"" + xmlEscape(root.string()) + "\">\n        " + section.substr(from, to - from) +
           "    </localpath>\n";
  };
  s.config.pluginSection("<plugin name=\"command\">\n" + body(lax, "ignoreError=\"true\"", s.src) +
                         body(strict, "ignoreError=\"false\"", other) + "    </plugin>");
  s.startRelay({"-m", "command"});
  ASSERT_TRUE(s.ready());

  lax.failNext(1);
  strict.failNext(100);
  const std::string laxFile = (s.src / "lax.txt").string();
  const std::string strictFile = (other / "strict.txt").string();
  writeFile(laxFile, "x\n");
  writeFile(strictFile, "x\n");

  Records r;
  EXPECT_TRUE(lax.waitFor([&](const Records& x) { return runsFor(x, laxFile) >= 1; }, 10s, &r)) << describe(r);
  EXPECT_TRUE(s.relay().waitForLine("ignored", 5s)) << s.relay().outputTail(20);

  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline &&
         (!fs::exists(s.failLog) || readFile(s.failLog).find("strict.txt") == std::string::npos)) {
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(fs::exists(s.failLog));
  EXPECT_NE(readFile(s.failLog).find("strict.txt"), std::string::npos) << readFile(s.failLog);
  EXPECT_EQ(runsFor(strict.records(), strictFile), 2u) << "the retry limit is 2 attempts\n" << describe(strict.records());
  EXPECT_EQ(runsFor(lax.records(), laxFile), 1u) << "an ignored failure is not retried\n" << describe(lax.records());
  EXPECT_EQ(readFile(s.failLog).find("lax.txt"), std::string::npos);
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(CommandPlugin, missing_program_fails_with_its_name) {
  Scenario s;
  s.config.retry(2, 50, 100);
  const std::string missing = (s.tmp.path() / "no-such-dir" / "no-such-program").string();
  s.config.pluginSection("<plugin name=\"command\"><param prefix=\"" + xmlEscape(missing) +
                         "\" ignoreError=\"true\"/></plugin>");
  s.startRelay({"-m", "command"});
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "x.txt", "x\n");
  EXPECT_TRUE(s.relay().waitForLine("could not be started", 10s)) << s.relay().outputTail(20);
  EXPECT_GE(countLines(s.relay().output(), "could not be started", missing), 1u) << s.relay().outputTail(20);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline &&
         (!fs::exists(s.failLog) || readFile(s.failLog).find("x.txt") == std::string::npos)) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(fs::exists(s.failLog) && readFile(s.failLog).find("x.txt") != std::string::npos)
      << "a program that cannot start is a permanent failure, even with ignoreError";
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(CommandPlugin, runs_alongside_rsync_when_enabled_in_sersync) {
  Scenario s;
  Recorder rec(s.tmp.path());
  s.config.enablePlugin("command");
  s.config.pluginSection(commandSection(rec, "ignoreError=\"true\"", {"(.*)\\.php"}));
  s.startRelay({"-r"});
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "index.php", "<?php\n");
  writeFile(s.src / "style.css", "a{}\n");
  ASSERT_TRUE(s.converged());
  Records r;
  EXPECT_TRUE(rec.waitFor([&](const Records& x) { return findRun(x, "upsert", (s.src / "index.php").string()); }, 10s,
                          &r))
      << describe(r);
  fs::remove(s.src / "index.php");
  ASSERT_TRUE(s.converged());
  EXPECT_TRUE(rec.waitFor([&](const Records& x) { return findRun(x, "delete", (s.src / "index.php").string()); },
                          10s, &r))
      << describe(r);
  EXPECT_EQ(runsFor(r, (s.src / "style.css").string()), 0u) << describe(r);
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(CommandPlugin, concurrency_runs_several_children_at_once) {
  Scenario s;
  Recorder rec(s.tmp.path());
  s.config.pluginSection(commandSection(rec, "ignoreError=\"true\" concurrency=\"4\""));
  s.startRelay({"-m", "command"});
  ASSERT_TRUE(s.ready());
  rec.delay("1");

  // 8 files and their directory, moved in at once: 9 runs of 1 s each, 9 s one after another.
  const fs::path staging = s.tmp.mkdir("staging/par");
  writeManyFiles(staging, 8, "p", ".txt");
  const auto t0 = std::chrono::steady_clock::now();
  fs::rename(staging, s.src / "par");
  Records r;
  auto all = [&](const Records& x) {
    std::size_t n = 0;
    for (int i = 0; i < 8; ++i) n += runsFor(x, (s.src / "par" / ("p" + std::to_string(i) + ".txt")).string());
    return n == 8;
  };
  ASSERT_TRUE(rec.waitFor(all, 15s, &r)) << describe(r);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  EXPECT_LT(took.count(), 6000) << "runs did not overlap\n" << describe(r);
  EXPECT_TRUE(s.terminatesCleanly());
}

TEST(CommandPlugin, timeout_kills_a_hanging_command_and_later_changes_still_run) {
  Scenario s;
  Recorder rec(s.tmp.path());
  s.config.pluginSection(commandSection(rec, "ignoreError=\"true\" timeout=\"1\""));
  s.startRelay({"-m", "command"});
  ASSERT_TRUE(s.ready());

  rec.delay("30");
  writeFile(s.src / "hangs.txt", "x\n");
  EXPECT_TRUE(s.relay().waitForLine("timed out", 8s)) << s.relay().outputTail(20);
  rec.delay("");
  const std::string next = (s.src / "next.txt").string();
  writeFile(next, "x\n");
  Records r;
  EXPECT_TRUE(rec.waitFor([&](const Records& x) { return runsFor(x, next) == 1; }, 10s, &r)) << describe(r);
  EXPECT_EQ(runsFor(r, (s.src / "hangs.txt").string()), 1u) << "ignored: not retried\n" << describe(r);
  EXPECT_TRUE(s.terminatesCleanly());
}

// The counters reach the daemon's metrics (served here by the http plugin, run alongside).
TEST(CommandPlugin, runs_and_failures_are_counted) {
  Scenario s;
  const int port = probeFreePort();
  s.config.host("127.0.0.1", port);
  Recorder rec(s.tmp.path());
  s.config.pluginSection(commandSection(rec, "ignoreError=\"true\""));
  s.startRelay({"-m", "command,http"});
  ASSERT_TRUE(s.ready());

  rec.failNext(1);
  const std::string first = (s.src / "first.txt").string();
  writeFile(first, "x\n");
  Records r;
  ASSERT_TRUE(rec.waitFor([&](const Records& x) { return runsFor(x, first) == 1; }, 10s, &r)) << describe(r);
  const std::string second = (s.src / "second.txt").string();
  writeFile(second, "x\n");
  ASSERT_TRUE(rec.waitFor([&](const Records& x) { return runsFor(x, second) == 1; }, 10s, &r)) << describe(r);

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5, 0);
  std::string body;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  // The counter is bumped after the child exits, a moment after it recorded itself.
  while (std::chrono::steady_clock::now() < deadline) {
    auto res = client.Get("/metrics");
    body = res ? res->body : std::string();
    if (body.find("fsrelay_command_runs_total 2\n") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(body.find("fsrelay_command_runs_total 2\n"), std::string::npos) << body;
  EXPECT_NE(body.find("fsrelay_command_failures_total 1\n"), std::string::npos) << body;
  EXPECT_NE(body.find("fsrelay_command_paths_total 2\n"), std::string::npos) << body;
  EXPECT_TRUE(s.terminatesCleanly());
}

}  // namespace
}  // namespace fsrelay::test
