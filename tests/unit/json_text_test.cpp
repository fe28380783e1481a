// Unit tests for the SDK's JSON text helpers (sdk/include/fsrelay/json_text.hpp): escaping, UTF-8 checks, base64.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include <fsrelay/json_text.hpp>

namespace fsrelay::sdk::json {
namespace {

using namespace std::string_literals;

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

std::string asJson(std::string_view s) {
  std::string out;
  appendString(out, s);
  return out;
}

std::string path(std::string_view key, std::string_view p) {
  std::string out;
  appendPath(out, key, p);
  return out;
}

std::string replacements(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += kReplacement;
  return out;
}

TEST(JsonText, plain_ascii_is_quoted_unchanged) {
  EXPECT_EQ(asJson(""), "\"\"");
  EXPECT_EQ(asJson("a/b c.txt"), "\"a/b c.txt\"");
  EXPECT_EQ(asJson("~!@#$%^&*()[]{}<>'`/"), "\"~!@#$%^&*()[]{}<>'`/\"");
}

TEST(JsonText, escapes_quote_backslash_and_the_short_forms) {
  EXPECT_EQ(asJson("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(asJson("C:\\dir\\"), R"("C:\\dir\\")");
  EXPECT_EQ(asJson("a\nb\rc\td"), R"("a\nb\rc\td")");
}

TEST(JsonText, control_bytes_and_del_become_u00xx) {
  EXPECT_EQ(asJson("\x01"), R"("\u0001")");
  EXPECT_EQ(asJson("\x08\x0c"), R"("\u0008\u000c")");
  EXPECT_EQ(asJson("\x1f"), R"("\u001f")");
  EXPECT_EQ(asJson("\x7f"), R"("\u007f")");
  EXPECT_EQ(asJson("a\0b"s), R"("a\u0000b")");  // file names cannot hold NUL, but a Bytes view could
}

TEST(JsonText, valid_utf8_passes_through) {
  EXPECT_EQ(asJson("caf\xC3\xA9"), "\"caf\xC3\xA9\"");                     // é, 2 bytes
  EXPECT_EQ(asJson("\xE2\x82\xAC"), "\"\xE2\x82\xAC\"");                   // €, 3 bytes
  EXPECT_EQ(asJson("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");           // emoji, 4 bytes
  EXPECT_EQ(asJson("\xED\x9F\xBF"), "\"\xED\x9F\xBF\"");                   // U+D7FF, just below the surrogates
  EXPECT_EQ(asJson("\xEE\x80\x80"), "\"\xEE\x80\x80\"");                   // U+E000, just above them
  EXPECT_EQ(asJson("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"");           // U+10FFFF, the last code point
  EXPECT_EQ(asJson("\xC2\x80"), "\"\xC2\x80\"");                           // U+0080, smallest 2-byte form
}

TEST(JsonText, each_invalid_byte_becomes_one_replacement_character) {
  EXPECT_EQ(asJson("bad\xFF.txt"), "\"bad" + kReplacement + ".txt\"");
  EXPECT_EQ(asJson("\x80"), "\"" + kReplacement + "\"");                   // lone continuation byte
  EXPECT_EQ(asJson("\xE2\x82"), "\"" + replacements(2) + "\"");           // truncated at the end
  EXPECT_EQ(asJson("\xE2\x82z"), "\"" + replacements(2) + "z\"");         // truncated by an ASCII byte
  EXPECT_EQ(asJson("\xFE\xFF"), "\"" + replacements(2) + "\"");
  EXPECT_EQ(asJson("\xF5\x80\x80\x80"), "\"" + replacements(4) + "\"");   // lead byte beyond U+10FFFF
  // After an invalid byte the next valid sequence is kept.
  EXPECT_EQ(asJson("\xFF\xC3\xA9"), "\"" + kReplacement + "\xC3\xA9\"");
}

TEST(JsonText, overlong_forms_are_invalid) {
  EXPECT_EQ(asJson("\xC0\xAF"), "\"" + replacements(2) + "\"");             // "/" in 2 bytes
  EXPECT_EQ(asJson("\xC1\xBF"), "\"" + replacements(2) + "\"");
  EXPECT_EQ(asJson("\xE0\x80\xAF"), "\"" + replacements(3) + "\"");         // "/" in 3 bytes
  EXPECT_EQ(asJson("\xE0\x9F\xBF"), "\"" + replacements(3) + "\"");         // U+07FF in 3 bytes
  EXPECT_EQ(asJson("\xF0\x80\x80\xAF"), "\"" + replacements(4) + "\"");     // "/" in 4 bytes
  EXPECT_EQ(asJson("\xF0\x8F\xBF\xBF"), "\"" + replacements(4) + "\"");     // U+FFFF in 4 bytes
  EXPECT_FALSE(validUtf8("\xC0\x80"));                                      // "modified UTF-8" NUL
}

TEST(JsonText, surrogates_and_code_points_above_10ffff_are_invalid) {
  EXPECT_EQ(asJson("\xED\xA0\x80"), "\"" + replacements(3) + "\"");         // U+D800
  EXPECT_EQ(asJson("\xED\xBF\xBF"), "\"" + replacements(3) + "\"");         // U+DFFF
  EXPECT_EQ(asJson("\xED\xA0\xBD\xED\xB8\x80"), "\"" + replacements(6) + "\"");  // CESU-8 pair
  EXPECT_EQ(asJson("\xF4\x90\x80\x80"), "\"" + replacements(4) + "\"");     // U+110000
}

TEST(JsonText, utf8_sequence_lengths) {
  EXPECT_EQ(utf8SequenceAt("a", 0), 1u);
  EXPECT_EQ(utf8SequenceAt("\xC3\xA9", 0), 2u);
  EXPECT_EQ(utf8SequenceAt("\xE2\x82\xAC", 0), 3u);
  EXPECT_EQ(utf8SequenceAt("\xF0\x9F\x98\x80", 0), 4u);
  EXPECT_EQ(utf8SequenceAt("x\xF0\x9F\x98\x80", 1), 4u);
  EXPECT_EQ(utf8SequenceAt("\xF0\x9F\x98", 0), 0u);  // would run past the end
  EXPECT_EQ(utf8SequenceAt("\xC3(", 0), 0u);         // second byte is not a continuation
  EXPECT_EQ(utf8SequenceAt("\xBF", 0), 0u);
}

TEST(JsonText, valid_utf8_agrees_with_the_escaper) {
  for (std::string_view s : {"", "plain", "caf\xC3\xA9", "\xF4\x8F\xBF\xBF", "\n\t\x01"}) {
    EXPECT_TRUE(validUtf8(s)) << asJson(s);
    EXPECT_EQ(asJson(s).find(kReplacement), std::string::npos);
  }
  for (std::string_view s : {"\xFF", "a\x80", "\xC3", "\xE0\x80\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80"}) {
    EXPECT_FALSE(validUtf8(s)) << asJson(s);
    EXPECT_NE(asJson(s).find(kReplacement), std::string::npos);
  }
}

// Whatever the bytes, the output is valid UTF-8 with no raw control byte: every 1- and 2-byte input.
TEST(JsonText, output_is_always_valid_utf8_without_raw_control_bytes) {
  for (int a = 0; a < 256; ++a) {
    for (int b = -1; b < 256; ++b) {
      std::string in(1, static_cast<char>(a));
      if (b >= 0) in.push_back(static_cast<char>(b));
      const std::string out = asJson(in);
      ASSERT_TRUE(validUtf8(out)) << a << " " << b;
      for (unsigned char c : out) ASSERT_TRUE(c >= 0x20 && c != 0x7F) << a << " " << b;
    }
  }
}

TEST(JsonText, base64_rfc4648_vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(JsonText, base64_of_binary_bytes_uses_the_standard_alphabet) {
  EXPECT_EQ(base64("\xFB\xFF"), "+/8=");
  EXPECT_EQ(base64("\xFF\xFE\x00"s), "//4A");
  EXPECT_EQ(base64("\x00\x00\x00"s), "AAAA");
  EXPECT_EQ(base64("\x00"s), "AA==");
  EXPECT_EQ(base64("bad\xFF"), "YmFk/w==");
  EXPECT_EQ(base64("\x80\x81\x82\x83"), "gIGCgw==");
}

TEST(JsonText, path_that_is_valid_utf8_has_no_b64_sibling) {
  EXPECT_EQ(path("path", "a/b.txt"), R"("path":"a/b.txt")");
  EXPECT_EQ(path("path", "caf\xC3\xA9"), "\"path\":\"caf\xC3\xA9\"");
  EXPECT_EQ(path("path", "new\nline"), R"("path":"new\nline")");  // control bytes are valid UTF-8: escaped only
  EXPECT_EQ(path("path", ""), R"("path":"")");
}

TEST(JsonText, path_that_is_not_utf8_is_lossy_plus_exact_base64) {
  EXPECT_EQ(path("path", "bad\xFF"), "\"path\":\"bad" + kReplacement + "\",\"path_b64\":\"YmFk/w==\"");
  EXPECT_EQ(path("old_path", "\xC0\xAF"),
            "\"old_path\":\"" + replacements(2) + "\",\"old_path_b64\":\"wK8=\"");
}

TEST(JsonText, appends_without_touching_what_is_there) {
  std::string out = "{";
  appendPath(out, "a", "x");
  out += ",";
  appendString(out, "b");
  out += ":1}";
  EXPECT_EQ(out, R"({"a":"x","b":1})");
}

}  // namespace
}  // namespace fsrelay::sdk::json
