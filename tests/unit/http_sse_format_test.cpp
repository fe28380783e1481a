// Unit tests of the http plugin's event stream helpers: change JSON, SSE framing, the bounded client buffer.
#include <gtest/gtest.h>

#include <string>

#include <fsrelay/plugin.hpp>

#include "http/sse_format.hpp"

namespace fsrelay::http {
namespace {

using sdk::Op;

sdk::Bytes b(const std::string& s) { return sdk::Bytes{s.data(), s.size()}; }

TEST(HttpSseFormat, rfc3339_has_nanoseconds_in_utc) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(rfc3339(1700000000123456789LL), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(HttpSseFormat, change_json_of_an_upsert) {
  const std::string p = "dir/a \"b\".txt";
  const sdk::Event e{Op::Upsert, 0, b(p), {nullptr, 0}, 1700000000000000000LL};
  EXPECT_EQ(changeJson("/srv", e),
            "{\"op\":\"upsert\",\"root\":\"/srv\",\"path\":\"dir/a \\\"b\\\".txt\",\"dir\":false,"
            "\"time\":\"2023-11-14T22:13:20.000000000Z\"}");
}

TEST(HttpSseFormat, change_json_of_a_move_has_old_path) {
  const std::string p = "new";
  const std::string old = "old";
  const sdk::Event e{Op::Move, 1, b(p), b(old), 0};
  const std::string json = changeJson("/srv", e);
  EXPECT_NE(json.find("\"op\":\"move\""), std::string::npos);
  EXPECT_NE(json.find("\"path\":\"new\",\"old_path\":\"old\",\"dir\":true"), std::string::npos);
}

TEST(HttpSseFormat, change_json_of_a_delete_has_no_old_path) {
  const std::string p = "x";
  const sdk::Event e{Op::Delete, 0, b(p), {nullptr, 0}, 0};
  const std::string json = changeJson("/srv", e);
  EXPECT_NE(json.find("\"op\":\"delete\""), std::string::npos);
  EXPECT_EQ(json.find("old_path"), std::string::npos);
}

TEST(HttpSseFormat, non_utf8_and_control_bytes_follow_the_json_convention) {
  const std::string p = std::string("a\nb\xff", 4);
  const sdk::Event e{Op::Upsert, 0, b(p), {nullptr, 0}, 0};
  const std::string json = changeJson("/srv", e);
  EXPECT_NE(json.find("\"path\":\"a\\nb\xEF\xBF\xBD\",\"path_b64\":\"YQpi/w==\""), std::string::npos) << json;
  EXPECT_EQ(json.find('\n'), std::string::npos);  // one SSE data line
}

TEST(HttpSseFormat, sync_json) {
  EXPECT_EQ(syncJson("/srv", 0), "{\"root\":\"/srv\",\"time\":\"1970-01-01T00:00:00.000000000Z\"}");
}

TEST(HttpSseFormat, frame_has_id_event_and_data_lines) {
  EXPECT_EQ(sseFrame("change", 7, "{\"a\":1}"), "id: 7\nevent: change\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(sseFrame("x", 1, "a\nb\r\nc\rd"), "id: 1\nevent: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(sseFrame("x", 2, ""), "id: 2\nevent: x\ndata: \n\n");
}

TEST(HttpSseFormat, comment_is_one_line) {
  EXPECT_EQ(sseComment("heartbeat"), ": heartbeat\n\n");
  EXPECT_EQ(sseComment("a\nb"), ": a b\n\n");
}

TEST(HttpSseFormat, with_member_appends_to_an_object) {
  EXPECT_EQ(withMember("{\"a\":1}", "http", "{\"x\":2}"), "{\"a\":1,\"http\":{\"x\":2}}");
  EXPECT_EQ(withMember("{}", "k", "true"), "{\"k\":true}");
  EXPECT_EQ(withMember(" { } \n", "k", "1"), " { \"k\":1} \n");
  EXPECT_EQ(withMember("[1]", "k", "1"), "[1]");
  EXPECT_EQ(withMember("", "k", "1"), "");
}

TEST(HttpSseFormat, client_buffer_drops_a_client_that_falls_behind) {
  ClientBuffer buffer(10);
  EXPECT_TRUE(buffer.append("12345"));
  EXPECT_TRUE(buffer.append("67890"));
  EXPECT_EQ(buffer.size(), 10u);
  EXPECT_FALSE(buffer.append("x"));
  EXPECT_TRUE(buffer.overflowed());
  EXPECT_EQ(buffer.size(), 0u);  // memory is freed at once
  EXPECT_FALSE(buffer.append("y"));  // and nothing more is accepted
}

TEST(HttpSseFormat, client_buffer_take_empties_it) {
  ClientBuffer buffer(8);
  EXPECT_TRUE(buffer.append("abc"));
  EXPECT_EQ(buffer.take(), "abc");
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_TRUE(buffer.append("12345678"));
  EXPECT_FALSE(buffer.overflowed());
}

}  // namespace
}  // namespace fsrelay::http
