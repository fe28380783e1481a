// `fsrelay -m socket` against TCP receivers on 127.0.0.1: jsonl records, a receiver down and back, the sersync
// format, two deshosts.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/scenario.hpp"
#include "tests/support/socket_listener.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

// The raw text of a field's value: a string without its quotes (escapes \n \" \\ \uXXXX-for-ASCII undone),
// or a number/literal as written. "" when absent.
std::string field(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":";
  std::size_t i = line.find(needle);
  if (i == std::string::npos) return "";
  i += needle.size();
  std::string out;
  if (line[i] != '"') {
    while (i < line.size() && line[i] != ',' && line[i] != '}') out += line[i++];
    return out;
  }
  for (++i; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] != '\\') {
      out += line[i];
      continue;
    }
    const char e = line[++i];
    if (e == 'n') out += '\n';
    else if (e == 'r') out += '\r';
    else if (e == 't') out += '\t';
    else if (e == 'u') {
      out += static_cast<char>(std::stoi(line.substr(i + 1, 4), nullptr, 16));
      i += 4;
    } else {
      out += e;
    }
  }
  return out;
}

// Records with this op and path (and old_path, for moves).
std::size_t count(const Lines& lines, const std::string& op, const std::string& path, const std::string& oldPath = "") {
  return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return field(l, "op") == op && field(l, "path") == path && (oldPath.empty() || field(l, "old_path") == oldPath);
  }));
}

std::string deshost(const SocketListener& rx, const std::string& extra = "") {
  return "<deshost ip=\"127.0.0.1\" port=\"" + std::to_string(rx.port()) + "\"" + extra + "/>";
}

std::string section(const fs::path& watch, const std::string& deshosts) {
  return "<plugin name=\"socket\"><localpath watch=\"" + xmlEscape(watch.string()) + "\">" + deshosts +
         "</localpath></plugin>";
}

// Every name in names arrived as an upsert (a file may arrive more than once: at least once).
bool allUpserted(const Lines& lines, const std::vector<std::string>& names) {
  return std::all_of(names.begin(), names.end(), [&](const std::string& n) { return count(lines, "upsert", n) > 0; });
}

std::string dump(const Lines& lines) {
  std::string out;
  for (const auto& l : lines) out += escapeName(l) + "\n";
  return out;
}

TEST(SocketRelay, jsonl_records_for_create_modify_move_delete) {
  Scenario s;
  SocketListener rx;
  s.config.pluginSection(section(s.src, deshost(rx)));
  s.startRelay({"-m", "socket"});
  ASSERT_TRUE(s.ready());

  auto wait = [&](const std::string& what, auto pred) {
    EXPECT_TRUE(rx.waitLines(pred, 10s)) << what << "; received:\n" << dump(rx.lines());
  };
  writeFile(s.src / "new.txt", "one\n");
  wait("create", [](const Lines& l) { return count(l, "upsert", "new.txt") == 1; });
  appendFile(s.src / "new.txt", "two\n");
  wait("modify", [](const Lines& l) { return count(l, "upsert", "new.txt") == 2; });
  fs::create_directory(s.src / "dir");
  wait("mkdir", [](const Lines& l) { return count(l, "upsert", "dir") == 1; });
  fs::rename(s.src / "new.txt", s.src / "dir" / "moved.txt");
  wait("move", [](const Lines& l) { return count(l, "move", "dir/moved.txt", "new.txt") == 1; });
  fs::remove(s.src / "dir" / "moved.txt");
  wait("delete", [](const Lines& l) { return count(l, "delete", "dir/moved.txt") == 1; });

  const Lines lines = rx.lines();
  std::uint64_t lastSeq = 0;
  for (const std::string& l : lines) {
    EXPECT_EQ(field(l, "root"), s.src.string()) << l;
    const std::string dir = field(l, "path") == "dir" ? "true" : "false";
    EXPECT_EQ(field(l, "dir"), dir) << l;
    EXPECT_NE(field(l, "time").find('.'), std::string::npos) << "time is unix seconds with a fraction: " << l;
    const std::uint64_t seq = std::stoull(field(l, "seq"));
    EXPECT_GT(seq, lastSeq) << "seq increases: " << l;
    lastSeq = seq;
  }
  EXPECT_EQ(rx.accepted(), 1u) << "one persistent connection";
  EXPECT_EQ(rx.partialLines(), 0u);
}

TEST(SocketRelay, hostile_names_stay_one_line_and_non_utf8_comes_with_b64) {
  Scenario s;
  SocketListener rx;
  s.config.pluginSection(section(s.src, deshost(rx)));
  s.startRelay({"-m", "socket"});
  ASSERT_TRUE(s.ready());

  const std::string newline = "two\nlines \"quoted\"";
  const std::string latin1 = "caf\xE9.txt";
  writeFile(s.src / newline, "x");
  writeFile(bytesPath(s.src, latin1), "x");
  ASSERT_TRUE(rx.waitLines([](const Lines& l) { return l.size() >= 2; }, 10s)) << dump(rx.lines());
  const Lines lines = rx.lines();
  EXPECT_EQ(count(lines, "upsert", newline), 1u) << dump(lines);
  auto it = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.find("_b64") != std::string::npos; });
  ASSERT_NE(it, lines.end()) << dump(lines);
  EXPECT_EQ(field(*it, "path"), "caf\xEF\xBF\xBD.txt");
  EXPECT_EQ(field(*it, "path_b64"), "Y2Fm6S50eHQ=");  // base64 of the exact bytes "caf\xE9.txt"
}

TEST(SocketRelay, receiver_down_and_back_loses_nothing) {
  Scenario s;
  SocketListener rx;
  // Enough attempts that the changes are still being retried when the receiver is back.
  s.config.retry(100, 100, 400).pluginSection(section(s.src, deshost(rx)));
  s.startRelay({"-m", "socket"});
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "warmup.txt", "x");
  ASSERT_TRUE(rx.waitLines([](const Lines& l) { return count(l, "upsert", "warmup.txt") > 0; }, 10s));

  rx.stop();  // listener and the established connection: the receiver is gone
  std::vector<std::string> names;
  for (int i = 0; i < 30; ++i) {
    names.push_back("while-down-" + std::to_string(i) + ".txt");
    writeFile(s.src / names.back(), "x");
    if (i % 10 == 9) std::this_thread::sleep_for(300ms);  // several batches, several failed attempts
  }
  EXPECT_TRUE(s.relay().waitForLine("connection refused", 10s)) << "the host logs why delivery fails";
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(allUpserted(rx.lines(), names));

  rx.start();
  EXPECT_TRUE(rx.waitLines([&](const Lines& l) { return allUpserted(l, names); }, 8s))
      << "received after the receiver came back:\n" << dump(rx.lines());
  EXPECT_EQ(rx.partialLines(), 0u);
}

TEST(SocketRelay, fail_logged_changes_arrive_when_the_receiver_accepts_again) {
  Scenario s;
  SocketListener rx;
  // Two attempts: the changes go to the fail log while the receiver is down.
  s.config.retry(2, 50, 100).pluginSection(section(s.src, deshost(rx)));
  s.startRelay({"-m", "socket"});
  ASSERT_TRUE(s.ready());
  writeFile(s.src / "warmup.txt", "x");
  ASSERT_TRUE(rx.waitLines([](const Lines& l) { return count(l, "upsert", "warmup.txt") > 0; }, 10s));

  rx.stop();
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    names.push_back("logged-" + std::to_string(i) + ".txt");
    writeFile(s.src / names.back(), "x");
  }
  auto logged = [&] {
    const std::string text = fs::exists(s.failLog) ? readFile(s.failLog) : "";
    return std::all_of(names.begin(), names.end(), [&](const std::string& n) { return text.find(n) != std::string::npos; });
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!logged() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(logged()) << "the changes should be in the fail log " << s.failLog;

  rx.start();
  writeFile(s.src / "after.txt", "x");  // a delivery that works: the host replays the fail log then
  names.push_back("after.txt");
  EXPECT_TRUE(rx.waitLines([&](const Lines& l) { return allUpserted(l, names); }, 8s))
      << "received after the receiver came back:\n" << dump(rx.lines());
}

TEST(SocketRelay, sersync_format_sends_the_bare_absolute_path_per_connection) {
  Scenario s;
  SocketListener rx;
  s.config.pluginSection(section(s.src, deshost(rx, " format=\"sersync\"")));
  s.startRelay({"-m", "socket"});
  ASSERT_TRUE(s.ready());

  const std::string a = (s.src / "a.txt").string();
  const std::string b = (s.src / "b.txt").string();
  writeFile(a, "x");
  ASSERT_TRUE(rx.waitMessages([](const Lines& m) { return m.size() >= 1; }, 10s));
  fs::rename(a, b);
  ASSERT_TRUE(rx.waitMessages([](const Lines& m) { return m.size() >= 3; }, 10s)) << dump(rx.messages());
  fs::remove(b);
  ASSERT_TRUE(rx.waitMessages([](const Lines& m) { return m.size() >= 4; }, 10s)) << dump(rx.messages());
  // sersync 2.5 sent a move as its two halves, and a delete as the path: no operation, no terminator.
  EXPECT_EQ(rx.messages(), (Lines{a, a, b, b}));
  EXPECT_EQ(rx.accepted(), 4u) << "one connection per path";
}

TEST(SocketRelay, two_deshosts_get_every_change_and_a_down_one_does_not_hold_back_the_other) {
  Scenario s;
  SocketListener up;
  SocketListener down;
  down.stop();
  s.config.retry(100, 100, 400).pluginSection(section(s.src, deshost(up) + deshost(down)));
  s.startRelay({"-m", "socket"});
  ASSERT_TRUE(s.ready());

  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) {
    names.push_back("both-" + std::to_string(i) + ".txt");
    writeFile(s.src / names.back(), "x");
  }
  EXPECT_TRUE(up.waitLines([&](const Lines& l) { return allUpserted(l, names); }, 5s))
      << "the receiver that is up gets everything while the other is down:\n" << dump(up.lines());
  down.start();
  EXPECT_TRUE(down.waitLines([&](const Lines& l) { return allUpserted(l, names); }, 8s))
      << "the other catches up once it is back:\n" << dump(down.lines());
  EXPECT_EQ(up.lines().size(), names.size()) << "no duplicates for the receiver that never failed";
}

TEST(SocketRelay, full_sync_at_start_is_a_sync_record) {
  Scenario s;
  SocketListener rx;
  s.config.pluginSection(section(s.src, deshost(rx)));
  s.startRelay({"-r", "-m", "socket"});
  ASSERT_TRUE(s.ready());
  ASSERT_TRUE(rx.waitLines([](const Lines& l) { return !l.empty(); }, 10s));
  const std::string first = rx.lines().front();
  EXPECT_EQ(field(first, "op"), "sync") << first;
  EXPECT_EQ(field(first, "root"), s.src.string()) << first;
  EXPECT_EQ(field(first, "path"), "") << "a sync record has no path: " << first;
}

}  // namespace
}  // namespace fsrelay::test
