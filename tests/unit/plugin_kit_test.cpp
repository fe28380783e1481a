// Unit tests of the SDK's plugin_kit.hpp: word splitting, the path check, printable log text, argv for logs,
// the guarded deliver(); and the older helpers the plugins share (settings, percent-encoding, create()).
#include <gtest/gtest.h>

#include <map>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fsrelay/plugin.hpp>
#include <fsrelay/plugin_kit.hpp>

namespace fsrelay::sdk::kit {
namespace {

using Words = std::vector<std::string>;

Words split(const std::string& text) {
  std::string error;
  auto words = splitWords(text, &error);
  EXPECT_TRUE(words.has_value()) << text << ": " << error;
  return words.value_or(Words{});
}

std::string splitError(const std::string& text) {
  std::string error;
  auto words = splitWords(text, &error);
  EXPECT_FALSE(words.has_value()) << text;
  return error;
}

// --- splitWords ------------------------------------------------------------------------------------

TEST(KitSplitWords, plain_words_split_on_blanks) {
  EXPECT_EQ(split("/bin/sh"), Words({"/bin/sh"}));
  EXPECT_EQ(split("  /usr/bin/env  -i\tfoo\nbar\r\n"), Words({"/usr/bin/env", "-i", "foo", "bar"}));
  EXPECT_EQ(split("  -artuz \t --delete\n-R "), Words({"-artuz", "--delete", "-R"}));
  EXPECT_EQ(split(""), Words{});
  EXPECT_EQ(split(" \t\n "), Words{});
}

TEST(KitSplitWords, quotes_and_backslashes_group_bytes_into_one_word) {
  EXPECT_EQ(split("'a b' \"c d\" e\\ f"), Words({"a b", "c d", "e f"}));
  EXPECT_EQ(split("a'b'\"c\"d"), Words({"abcd"}));
  EXPECT_EQ(split("x '' \"\""), Words({"x", "", ""}));
  EXPECT_EQ(split("'it'\\''s'"), Words({"it's"}));
  EXPECT_EQ(split("\"it's\""), Words({"it's"}));
  EXPECT_EQ(split("'say \"hi\"'"), Words({"say \"hi\""}));
  EXPECT_EQ(split(R"(-e 'ssh -p 22' --exclude="a b" x\ y)"), Words({"-e", "ssh -p 22", "--exclude=a b", "x y"}));
  EXPECT_EQ(split(R"(--exclude='*.tmp'x"y")"), Words({"--exclude=*.tmpxy"}));
}

TEST(KitSplitWords, backslash_inside_double_quotes_escapes_only_four_bytes) {
  EXPECT_EQ(split(R"("a\"b\\c\$d\`e\xf\ g")"), Words({"a\"b\\c$d`e\\xf\\ g"}));
  EXPECT_EQ(split(R"('a\b\\c')"), Words({"a\\b\\\\c"}));  // nothing is special inside '...'
  EXPECT_EQ(split(R"(a\'b \"c \\d \n)"), Words({"a'b", "\"c", "\\d", "n"}));
  EXPECT_EQ(split(R"("a\"b\\c\$d\`e\n" 'it'\''s' '' "")"), Words({"a\"b\\c$d`e\\n", "it's", "", ""}));
}

TEST(KitSplitWords, nothing_is_expanded) {
  EXPECT_EQ(split("$HOME ~ ~/x * ?.txt [ab] $(id) `id` ${X:-y} a;b c|d e>f g&&h !x"),
            Words({"$HOME", "~", "~/x", "*", "?.txt", "[ab]", "$(id)", "`id`", "${X:-y}", "a;b", "c|d", "e>f",
                   "g&&h", "!x"}));
  EXPECT_EQ(split("\"$HOME $(id)\""), Words({"$HOME $(id)"}));
  EXPECT_EQ(split("$HOME ~ *.c $(id) `id` ${X} ;&|<>"), Words({"$HOME", "~", "*.c", "$(id)", "`id`", "${X}", ";&|<>"}));
}

TEST(KitSplitWords, bytes_pass_through_unchanged) {
  EXPECT_EQ(split("/opt/\xff\xfe/hook --x=\xc3\xbc"), Words({"/opt/\xff\xfe/hook", "--x=\xc3\xbc"}));
}

TEST(KitSplitWords, unterminated_quotes_and_trailing_backslash_are_errors) {
  EXPECT_EQ(splitError("'abc"), "unterminated ' quote");
  EXPECT_EQ(splitError("a \"bc"), "unterminated \" quote");
  EXPECT_EQ(splitError("\"a\\\""), "unterminated \" quote");
  EXPECT_EQ(splitError("abc\\"), "trailing backslash");
  EXPECT_EQ(splitError("-a \\"), "trailing backslash");
}

TEST(KitSplitWords, error_may_be_left_out) {
  EXPECT_EQ(*splitWords("-artuz", nullptr), Words({"-artuz"}));
  EXPECT_FALSE(splitWords("-a 'oops", nullptr));
  EXPECT_FALSE(splitWords("-a 'oops"));
}

// --- safeRelativePath ------------------------------------------------------------------------------

TEST(KitPaths, safe_relative_paths) {
  for (const char* ok : {".", "a", "a/b", "..a", "a..", "a/..b/c", ".hidden", "a/./b", "ok..name/..x/x..", "dir/"}) {
    EXPECT_TRUE(safeRelativePath(ok)) << ok;
  }
  for (const std::string bad : {std::string(""), std::string(".."), std::string("a/.."), std::string("../a"),
                                std::string("a/../b"), std::string("a/../../b"), std::string("/abs"),
                                std::string("/"), std::string("a\0b", 3)}) {
    EXPECT_FALSE(safeRelativePath(bad)) << bad;
  }
}

// --- printable, cutTo, renderArgv ------------------------------------------------------------------

TEST(KitPrintable, escapes_control_bytes_and_invalid_utf8) {
  EXPECT_EQ(printable("plain"), "plain");
  EXPECT_EQ(printable(""), "");
  EXPECT_EQ(printable("new\nline\ttab\r"), "new\\x0Aline\\x09tab\\x0D");
  EXPECT_EQ(printable("\xff\xfe"), "\\xFF\\xFE");
  EXPECT_EQ(printable("\xc3\xbc ok"), "\xc3\xbc ok");
  EXPECT_EQ(printable("\xe4\xb8\xad"), "\xe4\xb8\xad");
  EXPECT_EQ(printable("\xc3\x28"), "\\xC3(");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("del\x7f"), "del\\x7F");
  EXPECT_EQ(printable("back\\slash"), "back\\slash");  // a backslash stays as it is
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // a surrogate is not UTF-8
  EXPECT_EQ(printable("\xe2\x82"), "\\xE2\\x82");           // cut short
}

TEST(KitPrintable, cut_keeps_utf8_whole_and_marks_the_cut) {
  std::string s = "short";
  cutTo(s, 10);
  EXPECT_EQ(s, "short");
  s = "exactly10!";
  cutTo(s, 10);
  EXPECT_EQ(s, "exactly10!");
  s = std::string(20, 'x');
  cutTo(s, 10);
  EXPECT_EQ(s, "xxxxxxx...");
  s = "ab\xc3\xbc\xc3\xbc\xc3\xbc";  // a b ü ü ü: a cut after 3 bytes would split the first ü
  cutTo(s, 6);
  EXPECT_EQ(s, "ab...");
  s = "ab\xc3\xbc\xc3\xbc\xc3\xbc";
  cutTo(s, 7);
  EXPECT_EQ(s, "ab\xc3\xbc...");
  s = "abcdef";
  cutTo(s, 2);
  EXPECT_EQ(s, "...");
}

TEST(KitRenderArgv, quoted_where_needed_and_one_line) {
  EXPECT_EQ(renderArgv({"/bin/sh", "/srv/a.php"}), "/bin/sh /srv/a.php");
  EXPECT_EQ(renderArgv({"hook", "/srv/with space", "it's", ""}), "hook '/srv/with space' 'it'\\''s' ''");
  EXPECT_EQ(renderArgv({"hook", "/srv/new\nline"}), "hook '/srv/new\\x0Aline'");
  EXPECT_EQ(renderArgv({"hook", "$(id)"}), "hook '$(id)'");
  EXPECT_EQ(renderArgv({"rsync", "-e", "ssh -p 2", "it's", "a\nb", ""}),
            "rsync -e 'ssh -p 2' 'it'\\''s' 'a\\x0Ab' ''");
  EXPECT_EQ(renderArgv({"rsync", "--password-file=/etc/r.pass", "user@host::www/"}),
            "rsync --password-file=/etc/r.pass user@host::www/");
  EXPECT_EQ(renderArgv({}), "");
}

TEST(KitRenderArgv, unbounded_by_default) {
  Words argv = {"rsync"};
  for (int i = 0; i < 100; ++i) argv.push_back("/srv/file-" + std::to_string(i));
  const std::string line = renderArgv(argv);
  EXPECT_EQ(line.find("more)"), std::string::npos) << line;
  EXPECT_NE(line.find("/srv/file-99"), std::string::npos);
}

TEST(KitRenderArgv, a_big_batch_is_bounded) {
  Words argv = {"hook"};
  for (int i = 0; i < 1000; ++i) argv.push_back("/srv/file-" + std::to_string(i));
  const std::string line = renderArgv(argv, 8, 1024);
  EXPECT_NE(line.find("... (993 more)"), std::string::npos) << line;
  EXPECT_LT(line.size(), 1100u);
  const std::string cut = renderArgv({"hook", std::string(5000, 'x')}, 8, 100);
  EXPECT_LE(cut.size(), 100u);
  EXPECT_EQ(cut.substr(cut.size() - 3), "...");
}

// --- guardedDeliver --------------------------------------------------------------------------------

class FakeHost final : public Host {
 public:
  void log(LogLevel level, Bytes message) noexcept override { logs.emplace_back(level, std::string(view(message))); }
  void spawn(const SpawnRequest&, SpawnResult* result) noexcept override { result->spawn_failed = 1; }
  void count(const char* name, std::int64_t delta) noexcept override { counters[name] += delta; }
  bool stopping() const noexcept override { return false; }
  bool aborting() const noexcept override { return false; }
  void snapshot(SnapshotKind, SnapshotSink sink, void* context) noexcept override { sink(context, bytes("{}")); }
  bool requestFullSync(Bytes, Bytes, char*, std::size_t) noexcept override { return false; }
  void spawnStreaming(const SpawnRequest&, OutputSink, void*, SpawnResult* result) noexcept override {
    result->spawn_failed = 1;
  }
  void progress(const Progress&) noexcept override {}

  std::vector<std::pair<LogLevel, std::string>> logs;
  std::map<std::string, std::int64_t> counters;
};

class FakeReport final : public Report {
 public:
  void eventStatus(std::size_t index, Status status) noexcept override { statuses[index] = status; }
  void message(Bytes text) noexcept override { messages.emplace_back(view(text)); }
  std::map<std::size_t, Status> statuses;
  std::vector<std::string> messages;
};

Batch batchWithId(std::uint64_t id) {
  Batch batch{};
  batch.kind = BatchKind::Changes;
  batch.id = id;
  return batch;
}

TEST(KitGuardedDeliver, passes_the_outcome_through) {
  FakeHost host;
  FakeReport report;
  const Batch batch = batchWithId(7);
  for (Status st : {Status::Ok, Status::Retry, Status::Fail}) {
    EXPECT_EQ(guardedDeliver(batch, report, &host, "x", "x_failures", [&] { return st; }), st);
  }
  EXPECT_TRUE(host.logs.empty());
  EXPECT_TRUE(host.counters.empty());
  EXPECT_TRUE(report.messages.empty());
}

TEST(KitGuardedDeliver, an_exception_is_logged_counted_and_retried) {
  FakeHost host;
  FakeReport report;
  const Batch batch = batchWithId(42);
  const Status st = guardedDeliver(batch, report, &host, "rsync", "rsync_failures",
                                   []() -> Status { throw std::runtime_error("disk on fire"); });
  EXPECT_EQ(st, Status::Retry);
  ASSERT_EQ(host.logs.size(), 1u);
  EXPECT_EQ(host.logs[0].first, LogLevel::Error);
  EXPECT_EQ(host.logs[0].second, "batch 42: internal error: disk on fire");
  EXPECT_EQ(host.counters["rsync_failures"], 1);
  EXPECT_EQ(report.messages, Words({"rsync plugin: internal error, batch will be retried"}));
  EXPECT_TRUE(report.statuses.empty());
}

TEST(KitGuardedDeliver, anything_thrown_is_caught_and_no_counter_is_optional) {
  FakeHost host;
  FakeReport report;
  const Batch batch = batchWithId(1);
  EXPECT_EQ(guardedDeliver(batch, report, &host, "http", nullptr, []() -> Status { throw 3; }), Status::Retry);
  ASSERT_EQ(host.logs.size(), 1u);
  EXPECT_EQ(host.logs[0].second, "batch 1: internal error: unknown exception");
  EXPECT_TRUE(host.counters.empty());
  EXPECT_EQ(report.messages, Words({"http plugin: internal error, batch will be retried"}));
}

TEST(KitGuardedDeliver, own_on_error_runs_first_and_may_throw) {
  FakeReport report;
  std::string seen;
  const Status st = guardedDeliver(
      report, "socket", []() -> Status { throw std::bad_alloc(); },
      [&](const char* what) {
        seen = what;
        throw std::runtime_error("again");  // swallowed
      });
  EXPECT_EQ(st, Status::Retry);
  EXPECT_EQ(seen, std::bad_alloc().what());
  EXPECT_EQ(report.messages, Words({"socket plugin: internal error, batch will be retried"}));
}

// --- the older helpers -----------------------------------------------------------------------------

TEST(KitBasics, views_op_names_and_parsing) {
  EXPECT_EQ(view(Bytes{nullptr, 0}), "");
  EXPECT_EQ(view(bytes("abc")), "abc");
  EXPECT_STREQ(opName(Op::Move), "move");
  EXPECT_STREQ(opName(static_cast<Op>(99)), "upsert");
  EXPECT_STREQ(opName(static_cast<Op>(99), "unknown"), "unknown");
  bool b = false;
  EXPECT_TRUE(parseBool("YES", &b));
  EXPECT_TRUE(b);
  EXPECT_TRUE(parseBool("off", &b));
  EXPECT_FALSE(b);
  EXPECT_FALSE(parseBool("", &b));
  std::optional<std::int64_t> n;
  EXPECT_TRUE(parseInt("8008", 1, 65535, &n));
  EXPECT_EQ(n, 8008);
  EXPECT_TRUE(parseInt("", 1, 65535, &n));
  EXPECT_FALSE(n);
  EXPECT_FALSE(parseInt("65536", 1, 65535, &n));
  EXPECT_FALSE(parseInt("-1", 0, 10, &n));
  EXPECT_FALSE(parseInt("99999999999999999999", 0, INT64_MAX, &n));
  EXPECT_EQ(percentEncode("a b/\xc3\xa9~", unreserved), "a%20b%2F%C3%A9~");
}

TEST(KitSettings, declared_defaults_and_messages) {
  const ConfigKey keys[] = {
      {"port", KeyType::Int, "8008", "", 0},
      {"sync", KeyType::Bool, "false", "", 0},
      {"opt", KeyType::Int, "", "", 0},
      {"expr", KeyType::String, "", "", 1},
  };
  const std::string portValue = "";
  const std::string syncValue = "maybe";
  const std::string e1 = "a", e2 = "";
  const Setting settings[] = {
      {"port", bytes(portValue)}, {"sync", bytes(syncValue)}, {"expr", bytes(e1)}, {"expr", bytes(e2)}};
  const Settings s(settings, 4, keys, 4);
  std::string error;
  std::int64_t port = 0;
  EXPECT_TRUE(s.integer("port", 1, 65535, &port, &error));  // "" reads as the declared default
  EXPECT_EQ(port, 8008);
  std::int64_t opt = 5;
  EXPECT_TRUE(s.integer("opt", 0, 10, &opt, &error));  // absent, default "": left as it is
  EXPECT_EQ(opt, 5);
  bool sync = false;
  EXPECT_FALSE(s.boolean("sync", &sync, &error));
  EXPECT_EQ(error, "sync must be true or false, not 'maybe'");
  EXPECT_EQ(s.all("expr"), (std::vector<std::string_view>{"a", ""}));
  const Setting bad[] = {{"port", bytes("70000")}};
  EXPECT_FALSE(Settings(bad, 1, keys, 4).integer("port", 1, 65535, &port, &error));
  EXPECT_EQ(error, "port must be a whole number from 1 to 65535, not '70000'");
}

TEST(KitGuardedCreate, refusals_and_exceptions_reach_the_error_buffer) {
  char buf[128] = {0};
  CreateArgs args{};
  args.error = buf;
  args.error_capacity = sizeof buf;
  EXPECT_EQ(guardedCreate(&args, "x",
                          [](const CreateArgs&, std::string* error) -> Instance* {
                            *error = "port is required";
                            return nullptr;
                          }),
            nullptr);
  EXPECT_STREQ(buf, "port is required");
  EXPECT_EQ(guardedCreate(&args, "x",
                          [](const CreateArgs&, std::string*) -> Instance* { throw std::runtime_error("boom"); }),
            nullptr);
  EXPECT_STREQ(buf, "x plugin: boom");
}

}  // namespace
}  // namespace fsrelay::sdk::kit
