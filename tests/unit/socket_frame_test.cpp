// Unit tests of the socket plugin's framing: jsonl records, sersync payloads, times, the resend window.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <fsrelay/plugin.hpp>

#include "socket/socket_frame.hpp"

namespace fsrelay::socketplugin {
namespace {

using sdk::Op;

sdk::Bytes b(const std::string& s) { return sdk::Bytes{s.data(), s.size()}; }

// The event's strings must outlive it: the test keeps them in locals.
sdk::Event event(Op op, const std::string& path, bool dir = false, const std::string* oldPath = nullptr,
                 std::int64_t timeNs = 1700000000123456789) {
  return sdk::Event{op, static_cast<std::uint8_t>(dir), b(path), oldPath ? b(*oldPath) : sdk::Bytes{nullptr, 0},
                    timeNs};
}

std::string record(const std::string& root, const sdk::Event& e, std::uint64_t seq = 7) {
  std::string out;
  appendChangeRecord(out, root, e, e.time_ns, seq);
  return out;
}

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

// ---- format names and times ----

TEST(SocketFrame, parse_format_accepts_both_names_in_any_case) {
  Format f = Format::Sersync;
  EXPECT_TRUE(parseFormat("jsonl", &f));
  EXPECT_EQ(f, Format::Jsonl);
  EXPECT_TRUE(parseFormat("SerSync", &f));
  EXPECT_EQ(f, Format::Sersync);
  EXPECT_TRUE(parseFormat("JSONL", &f));
  EXPECT_EQ(f, Format::Jsonl);
  EXPECT_FALSE(parseFormat("json", &f));
  EXPECT_FALSE(parseFormat("", &f));
  EXPECT_FALSE(parseFormat(" jsonl", &f));
  EXPECT_STREQ(formatName(Format::Jsonl), "jsonl");
  EXPECT_STREQ(formatName(Format::Sersync), "sersync");
}

TEST(SocketFrame, unix_seconds_keep_all_nine_fraction_digits) {
  EXPECT_EQ(unixSeconds(1700000000123456789), "1700000000.123456789");
  EXPECT_EQ(unixSeconds(0), "0.000000000");
  EXPECT_EQ(unixSeconds(5), "0.000000005");
  EXPECT_EQ(unixSeconds(1000000000), "1.000000000");
  EXPECT_EQ(unixSeconds(-1), "-0.000000001");
  EXPECT_EQ(unixSeconds(-1500000000), "-1.500000000");
  EXPECT_EQ(unixSeconds(std::numeric_limits<std::int64_t>::min()), "-9223372036.854775808");
  EXPECT_EQ(unixSeconds(std::numeric_limits<std::int64_t>::max()), "9223372036.854775807");
}

TEST(SocketFrame, absolute_path_joins_root_and_relative_path) {
  EXPECT_EQ(absolutePath("/srv/www", "a/b.txt"), "/srv/www/a/b.txt");
  EXPECT_EQ(absolutePath("/srv/www", "."), "/srv/www");
  EXPECT_EQ(absolutePath("/", "etc/x"), "/etc/x");
  EXPECT_EQ(absolutePath("/", "."), "/");
}

TEST(SocketFrame, endpoint_brackets_ipv6_literals) {
  EXPECT_EQ(endpointText("127.0.0.1", 8009), "127.0.0.1:8009");
  EXPECT_EQ(endpointText("receiver.example", 1), "receiver.example:1");
  EXPECT_EQ(endpointText("::1", 8009), "[::1]:8009");
}

// ---- jsonl records ----

TEST(SocketFrame, upsert_record_has_every_field_in_the_documented_order) {
  const std::string path = "a/b.txt";
  EXPECT_EQ(record("/srv", event(Op::Upsert, path), 1),
            "{\"op\":\"upsert\",\"root\":\"/srv\",\"path\":\"a/b.txt\",\"dir\":false,"
            "\"time\":1700000000.123456789,\"seq\":1}\n");
}

TEST(SocketFrame, delete_of_a_directory_says_dir_true) {
  const std::string path = "old";
  EXPECT_EQ(record("/srv", event(Op::Delete, path, true), 42),
            "{\"op\":\"delete\",\"root\":\"/srv\",\"path\":\"old\",\"dir\":true,"
            "\"time\":1700000000.123456789,\"seq\":42}\n");
}

TEST(SocketFrame, move_record_carries_old_path) {
  const std::string path = "new name";
  const std::string old = "sub/old name";
  EXPECT_EQ(record("/srv", event(Op::Move, path, false, &old), 3),
            "{\"op\":\"move\",\"root\":\"/srv\",\"path\":\"new name\",\"old_path\":\"sub/old name\",\"dir\":false,"
            "\"time\":1700000000.123456789,\"seq\":3}\n");
}

TEST(SocketFrame, old_path_only_on_moves) {
  const std::string path = "x";
  const std::string old = "y";
  sdk::Event e = event(Op::Upsert, path, false, &old);  // a stray old_path must not leak into the record
  EXPECT_EQ(record("/srv", e).find("old_path"), std::string::npos);
}

TEST(SocketFrame, sync_record_names_only_the_root) {
  std::string out;
  appendSyncRecord(out, "/srv/www", 1700000000000000000, 9);
  EXPECT_EQ(out, "{\"op\":\"sync\",\"root\":\"/srv/www\",\"time\":1700000000.000000000,\"seq\":9}\n");
}

TEST(SocketFrame, newline_in_a_name_does_not_break_framing) {
  const std::string path = "evil\nname\r\n{\"op\":\"delete\"}\n";
  const std::string r = record("/srv", event(Op::Upsert, path));
  EXPECT_EQ(lines(r), 1u) << r;
  EXPECT_EQ(r.back(), '\n');
  EXPECT_NE(r.find(R"("path":"evil\nname\r\n{\"op\":\"delete\"}\n")"), std::string::npos) << r;
  EXPECT_EQ(r.find("path_b64"), std::string::npos) << "valid UTF-8 needs no base64";
}

TEST(SocketFrame, quotes_backslashes_and_control_bytes_are_escaped) {
  const std::string path = std::string("q\"uo\\te\ttab\x01\x1f\x7f");
  const std::string r = record("/srv", event(Op::Upsert, path));
  EXPECT_NE(r.find(R"("path":"q\"uo\\te\ttab\u0001\u001f\u007f")"), std::string::npos) << r;
  EXPECT_EQ(lines(r), 1u);
}

TEST(SocketFrame, utf8_names_pass_through) {
  const std::string path = "d\xC3\xA9j\xC3\xA0/\xE6\x96\x87\xE4\xBB\xB6 \xF0\x9F\x98\x80.txt";
  const std::string r = record("/srv", event(Op::Upsert, path));
  EXPECT_NE(r.find("\"path\":\"" + path + "\""), std::string::npos) << r;
  EXPECT_EQ(r.find("_b64"), std::string::npos);
}

TEST(SocketFrame, non_utf8_name_gets_lossy_path_and_exact_path_b64) {
  const std::string path = "latin1-caf\xE9.txt";  // ISO-8859-1 e-acute: not UTF-8
  const std::string r = record("/srv", event(Op::Upsert, path));
  EXPECT_NE(r.find("\"path\":\"latin1-caf\xEF\xBF\xBD.txt\",\"path_b64\":\"bGF0aW4xLWNhZukudHh0\""), std::string::npos)
      << r;
  EXPECT_EQ(lines(r), 1u);
}

TEST(SocketFrame, non_utf8_old_path_and_root_get_their_own_b64) {
  const std::string path = "ok";
  const std::string old = "\xFF";
  std::string out;
  appendChangeRecord(out, "/srv/\xFE", event(Op::Move, path, false, &old), 1, 1);
  EXPECT_NE(out.find("\"root\":\"/srv/\xEF\xBF\xBD\",\"root_b64\":\"L3Nydi/+\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"old_path\":\"\xEF\xBF\xBD\",\"old_path_b64\":\"/w==\""), std::string::npos) << out;
  EXPECT_EQ(out.find("\"path_b64\""), std::string::npos) << "path itself is valid UTF-8";
}

TEST(SocketFrame, records_concatenate_into_one_line_each) {
  const std::string a = "a\nb";
  const std::string c = "c";
  std::string out;
  appendChangeRecord(out, "/r", event(Op::Upsert, a), 1, 1);
  appendChangeRecord(out, "/r", event(Op::Delete, c), 2, 2);
  appendSyncRecord(out, "/r", 3, 3);
  EXPECT_EQ(lines(out), 3u);
}

// ---- sersync payloads ----

TEST(SocketFrame, sersync_payload_is_the_bare_absolute_path) {
  const std::string path = "dir/file.txt";
  EXPECT_EQ(sersyncPayloads("/opt/tongbu", event(Op::Upsert, path)), std::vector<std::string>{"/opt/tongbu/dir/file.txt"});
  EXPECT_EQ(sersyncPayloads("/opt/tongbu", event(Op::Delete, path, true)),
            std::vector<std::string>{"/opt/tongbu/dir/file.txt"});
}

TEST(SocketFrame, sersync_move_sends_old_then_new_path) {
  const std::string path = "b";
  const std::string old = "a";
  EXPECT_EQ(sersyncPayloads("/r", event(Op::Move, path, false, &old)), (std::vector<std::string>{"/r/a", "/r/b"}));
}

TEST(SocketFrame, sersync_payload_keeps_hostile_bytes_raw) {
  // One connection per payload delimits it, so nothing needs escaping: the receiver gets the exact name.
  const std::string path = std::string("new\nline \xE9 \"q\"");
  EXPECT_EQ(sersyncPayloads("/r", event(Op::Upsert, path)), std::vector<std::string>{"/r/" + path});
}

// ---- resend window ----

TEST(SocketFrame, keep_tail_drops_whole_records_from_the_front) {
  std::string w = "aaaa\nbbbb\ncccc\n";  // 15 bytes, 5 per record
  keepTail(w, 15);
  EXPECT_EQ(w, "aaaa\nbbbb\ncccc\n");
  keepTail(w, 14);
  EXPECT_EQ(w, "bbbb\ncccc\n");
  keepTail(w, 10);
  EXPECT_EQ(w, "bbbb\ncccc\n");
  keepTail(w, 9);
  EXPECT_EQ(w, "cccc\n");
  keepTail(w, 4);
  EXPECT_EQ(w, "");
}

TEST(SocketFrame, keep_tail_with_a_record_larger_than_the_bound_keeps_nothing_partial) {
  std::string w = "short\n" + std::string(100, 'x') + "\n";
  keepTail(w, 50);
  EXPECT_EQ(w, "");
}

}  // namespace
}  // namespace fsrelay::socketplugin
