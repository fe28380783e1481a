// Unit tests of the http plugin's webhook helpers: sersync's form body, masks per operation, URL handling.
#include <gtest/gtest.h>

#include <string>

#include <fsrelay/plugin.hpp>

#include "http/webhook_format.hpp"

namespace fsrelay::http {
namespace {

using sdk::Op;

sdk::Bytes b(const std::string& s) { return sdk::Bytes{s.data(), s.size()}; }

sdk::Event event(Op op, const std::string& path, bool dir = false, const std::string* old = nullptr) {
  return sdk::Event{op, static_cast<std::uint8_t>(dir), b(path), old ? b(*old) : sdk::Bytes{nullptr, 0}, 0};
}

TEST(HttpWebhookFormat, form_encode_keeps_only_unreserved_bytes) {
  EXPECT_EQ(formEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(formEncode("a b+c&d=e/f%g"), "a%20b%2Bc%26d%3De%2Ff%25g");
  EXPECT_EQ(formEncode(std::string("\n\0\xff\x7f", 4)), "%0A%00%FF%7F");
  EXPECT_EQ(formEncode("\xC3\xA9"), "%C3%A9");  // é in UTF-8, byte by byte
}

TEST(HttpWebhookFormat, body_has_sersyncs_fields_in_order) {
  EXPECT_EQ(formBody("/srv/www", false, "/srv/www/a b.txt", kInCloseWrite),
            "watchroot=%2Fsrv%2Fwww&isdir=0&inotifyPath=%2Fsrv%2Fwww%2Fa%20b.txt&mask=8");
  EXPECT_EQ(formBody("/r", true, "/r/d", kInCreate | kInIsDir),
            "watchroot=%2Fr&isdir=1&inotifyPath=%2Fr%2Fd&mask=1073742080");
}

TEST(HttpWebhookFormat, absolute_path_joins_root_and_relative_path) {
  EXPECT_EQ(absolutePath("/srv", "a/b"), "/srv/a/b");
  EXPECT_EQ(absolutePath("/srv", "."), "/srv");
  EXPECT_EQ(absolutePath("/", "a"), "/a");
}

TEST(HttpWebhookFormat, upsert_of_a_file_is_close_write) {
  const std::string p = "dir/f.txt";
  auto posts = webhookPosts("/srv", event(Op::Upsert, p));
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].mask, 8u);
  EXPECT_EQ(posts[0].path, "/srv/dir/f.txt");
  EXPECT_EQ(posts[0].body, "watchroot=%2Fsrv&isdir=0&inotifyPath=%2Fsrv%2Fdir%2Ff.txt&mask=8");
}

TEST(HttpWebhookFormat, upsert_of_a_directory_is_create_isdir) {
  const std::string p = "d";
  auto posts = webhookPosts("/srv", event(Op::Upsert, p, true));
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].mask, kInCreate | kInIsDir);
  EXPECT_EQ(posts[0].body, "watchroot=%2Fsrv&isdir=1&inotifyPath=%2Fsrv%2Fd&mask=1073742080");
}

TEST(HttpWebhookFormat, delete_is_in_delete_with_isdir_for_directories) {
  const std::string p = "gone";
  auto file = webhookPosts("/srv", event(Op::Delete, p));
  ASSERT_EQ(file.size(), 1u);
  EXPECT_EQ(file[0].mask, 512u);
  EXPECT_NE(file[0].body.find("&isdir=0&"), std::string::npos);
  auto dir = webhookPosts("/srv", event(Op::Delete, p, true));
  ASSERT_EQ(dir.size(), 1u);
  EXPECT_EQ(dir[0].mask, 512u | 0x40000000u);
  EXPECT_NE(dir[0].body.find("&mask=1073742336"), std::string::npos);
}

TEST(HttpWebhookFormat, move_is_moved_from_old_then_moved_to_new) {
  const std::string p = "new name";
  const std::string old = "old";
  auto posts = webhookPosts("/srv", event(Op::Move, p, false, &old));
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].body, "watchroot=%2Fsrv&isdir=0&inotifyPath=%2Fsrv%2Fold&mask=64");
  EXPECT_EQ(posts[1].body, "watchroot=%2Fsrv&isdir=0&inotifyPath=%2Fsrv%2Fnew%20name&mask=128");
  auto dir = webhookPosts("/srv", event(Op::Move, p, true, &old));
  ASSERT_EQ(dir.size(), 2u);
  EXPECT_EQ(dir[0].mask, 64u | kInIsDir);
  EXPECT_EQ(dir[1].mask, 128u | kInIsDir);
}

TEST(HttpWebhookFormat, hostile_names_survive_encoding) {
  const std::string p = "a&mask=1\n$(x)`y`\xff";
  auto posts = webhookPosts("/srv", event(Op::Upsert, p));
  ASSERT_EQ(posts.size(), 1u);
  // Exactly four fields: the name cannot smuggle a field or a line break into the body.
  const std::string& body = posts[0].body;
  EXPECT_EQ(std::count(body.begin(), body.end(), '&'), 3);
  EXPECT_EQ(std::count(body.begin(), body.end(), '='), 4);
  EXPECT_NE(body.find("inotifyPath=%2Fsrv%2Fa%26mask%3D1%0A%24%28x%29%60y%60%FF&mask=8"), std::string::npos);
}

TEST(HttpWebhookFormat, full_sync_post_names_the_root_as_a_directory) {
  const WebhookPost post = fullSyncPost("/srv");
  EXPECT_EQ(post.body, "watchroot=%2Fsrv&isdir=1&inotifyPath=%2Fsrv&mask=1073742080");
}

TEST(HttpWebhookFormat, url_validation) {
  std::string why;
  EXPECT_TRUE(validWebhookUrl("http://127.0.0.1:9000/hook", &why));
  EXPECT_TRUE(validWebhookUrl("HTTPS://user:pw@example.com/x?y=1", &why));
  EXPECT_FALSE(validWebhookUrl("ftp://example.com/", &why));
  EXPECT_FALSE(validWebhookUrl("127.0.0.1:9000/hook", &why));
  EXPECT_FALSE(validWebhookUrl("http:///hook", &why));
  EXPECT_FALSE(validWebhookUrl("http://user@/hook", &why));
  EXPECT_FALSE(validWebhookUrl("http://a b/", &why));
  EXPECT_FALSE(validWebhookUrl("http://a/\n", &why));
}

TEST(HttpWebhookFormat, redacted_url_has_no_credentials_or_query) {
  EXPECT_EQ(redactUrl("http://127.0.0.1:9000/hook"), "http://127.0.0.1:9000/hook");
  EXPECT_EQ(redactUrl("https://user:secret@h.example/p?token=abc#f"), "https://***@h.example/p");
  EXPECT_EQ(redactUrl("http://h/p#frag"), "http://h/p");
}

}  // namespace
}  // namespace fsrelay::http
