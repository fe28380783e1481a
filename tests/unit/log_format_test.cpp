// Unit tests for log line rendering (core/log/line_format): text form, JSON lines, escaping of bytes.
#include <gtest/gtest.h>

#include <string>

#include <fsrelay/json_text.hpp>

#include "core/log/line_format.hpp"

namespace fsrelay::log {
namespace {

using namespace std::string_literals;

Stamp stampAt(long utcOffsetSeconds) {
  Stamp s;
  s.tm.tm_year = 2026 - 1900;
  s.tm.tm_mon = 10;
  s.tm.tm_mday = 22;
  s.tm.tm_hour = 5;
  s.tm.tm_min = 21;
  s.tm.tm_sec = 19;
  s.millis = 7;
  s.utcOffsetSeconds = utcOffsetSeconds;
  return s;
}

TEST(LogFormat, text_line_keeps_its_old_form) {
  EXPECT_EQ(formatLine(Format::Text, stampAt(0), Level::Warn, "t: delivery failed", nullptr),
            "2026-11-22T05:21:19.007 warn: t: delivery failed\n");
}

TEST(LogFormat, text_line_ignores_fields) {
  Fields f;
  f.text("target", "t").number("count", 3);
  EXPECT_EQ(formatLine(Format::Text, stampAt(0), Level::Info, "t: sent 3 changes", &f),
            "2026-11-22T05:21:19.007 info: t: sent 3 changes\n");
}

TEST(LogFormat, json_timestamp_carries_the_utc_offset_with_a_colon) {
  EXPECT_EQ(isoTime(stampAt(0), true), "2026-11-22T05:21:19.007+00:00");
  EXPECT_EQ(isoTime(stampAt(5 * 3600 + 30 * 60), true), "2026-11-22T05:21:19.007+05:30");
  EXPECT_EQ(isoTime(stampAt(-3 * 3600), true), "2026-11-22T05:21:19.007-03:00");
}

TEST(LogFormat, json_line_is_one_object_with_ts_level_msg) {
  EXPECT_EQ(formatLine(Format::Json, stampAt(3600), Level::Error, "boom", nullptr),
            R"({"ts":"2026-11-22T05:21:19.007+01:00","level":"error","msg":"boom"})"
            "\n");
}

TEST(LogFormat, json_escapes_quotes_backslashes_newlines_and_control_bytes) {
  std::string line = formatLine(Format::Json, stampAt(0), Level::Debug, "a\"b\\c\nd\te\x01" "f\x7f", nullptr);
  EXPECT_NE(line.find(R"("msg":"a\"b\\c\nd\te\u0001f\u007f")"), std::string::npos) << line;
  // Exactly one newline: the one that ends the line.
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(LogFormat, json_line_is_valid_utf8_whatever_bytes_the_message_holds) {
  const std::string hostile = "name \xff\xfe \xc3( \xed\xa0\x80 \xf4\x90\x80\x80 end"s;
  std::string line = formatLine(Format::Json, stampAt(0), Level::Info, hostile, nullptr);
  EXPECT_TRUE(sdk::json::validUtf8(line)) << line;
  EXPECT_NE(line.find("name \xEF\xBF\xBD\xEF\xBF\xBD"), std::string::npos) << line;
  EXPECT_NE(line.find(" end\"}"), std::string::npos);
}

TEST(LogFormat, json_fields_follow_msg_numbers_unquoted) {
  Fields f;
  f.text("plugin", "rsync").number("count", 12345).number("delta", -2);
  EXPECT_EQ(formatLine(Format::Json, stampAt(0), Level::Info, "m", &f),
            R"({"ts":"2026-11-22T05:21:19.007+00:00","level":"info","msg":"m","plugin":"rsync","count":12345,"delta":-2})"
            "\n");
}

TEST(LogFormat, json_bytes_field_adds_base64_when_not_utf8) {
  Fields f;
  f.bytes("target", "ok").bytes("path", "a\nb\xff");
  std::string line = formatLine(Format::Json, stampAt(0), Level::Info, "m", &f);
  EXPECT_NE(line.find(R"("target":"ok",)"), std::string::npos) << line;
  EXPECT_EQ(line.find("target_b64"), std::string::npos) << line;
  // "a\nb\xff" is YQpi/w== in base64: the exact bytes come back from it.
  EXPECT_NE(line.find(R"("path":"a\nb)" "\xEF\xBF\xBD" R"(","path_b64":"YQpi/w=="})"), std::string::npos) << line;
  EXPECT_TRUE(sdk::json::validUtf8(line));
}

TEST(LogFormat, levels_and_formats_parse_by_name) {
  Format f = Format::Text;
  EXPECT_TRUE(parseFormat("json", &f));
  EXPECT_EQ(f, Format::Json);
  EXPECT_TRUE(parseFormat("text", &f));
  EXPECT_EQ(f, Format::Text);
  EXPECT_FALSE(parseFormat("JSONL", &f));
  EXPECT_STREQ(levelName(Level::Warn), "warn");
}

}  // namespace
}  // namespace fsrelay::log
