// Unit tests of the refreshcdn plugin's URL helpers: encoding, URL building, parsing, redaction.
#include <gtest/gtest.h>

#include <string>

#include "refreshcdn/cdn_url.hpp"

namespace fsrelay::refreshcdn {
namespace {

using namespace std::string_literals;

UrlRule pathRule(const std::string& base) {
  std::string error;
  auto rule = makeUrlRule(base, false, "", &error);
  EXPECT_TRUE(rule.has_value()) << error;
  return rule.value_or(UrlRule{});
}

UrlRule regexRule(const std::string& base, const std::string& match) {
  std::string error;
  auto rule = makeUrlRule(base, true, match, &error);
  EXPECT_TRUE(rule.has_value()) << error;
  return rule.value_or(UrlRule{});
}

TEST(RefreshCdnUrl, segment_keeps_pchar_and_encodes_the_rest) {
  EXPECT_EQ(encodeSegment("index.html"), "index.html");
  EXPECT_EQ(encodeSegment("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(encodeSegment("a+b=c;d@e:f!$&'()*,"), "a+b=c;d@e:f!$&'()*,");
  EXPECT_EQ(encodeSegment("a b"), "a%20b");
  EXPECT_EQ(encodeSegment("what?.jpg"), "what%3F.jpg");
  EXPECT_EQ(encodeSegment("x#1"), "x%231");
  EXPECT_EQ(encodeSegment("100%"), "100%25");
  EXPECT_EQ(encodeSegment("a%20b"), "a%2520b");  // a literal name, not an already encoded one
  EXPECT_EQ(encodeSegment("a/b"), "a%2Fb");
  EXPECT_EQ(encodeSegment("q\"<>\\^`{|}[]"), "q%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5D");
}

TEST(RefreshCdnUrl, control_and_non_ascii_bytes_are_percent_encoded) {
  EXPECT_EQ(encodeSegment("line\nbreak\ttab\r"), "line%0Abreak%09tab%0D");
  EXPECT_EQ(encodeSegment("nul\0x"s), "nul%00x");
  EXPECT_EQ(encodeSegment("del\x7F"), "del%7F");
  EXPECT_EQ(encodeSegment("caf\xC3\xA9"), "caf%C3%A9");         // UTF-8 é
  EXPECT_EQ(encodeSegment("latin\xE9"), "latin%E9");            // ISO-8859-1 é: not UTF-8, still one %XX
  EXPECT_EQ(encodeSegment("\xFF\xFE"), "%FF%FE");
  EXPECT_EQ(encodeSegment("\xE4\xB8\xAD\xE6\x96\x87.png"), "%E4%B8%AD%E6%96%87.png");
}

TEST(RefreshCdnUrl, path_keeps_separators) {
  EXPECT_EQ(encodePath("a b/c?d/e#f"), "a%20b/c%3Fd/e%23f");
  EXPECT_EQ(encodePath("dir/sub/"), "dir/sub/");
}

TEST(RefreshCdnUrl, query_value_keeps_only_unreserved) {
  EXPECT_EQ(encodeQueryValue("abcXYZ019-._~"), "abcXYZ019-._~");
  EXPECT_EQ(encodeQueryValue("http://h/a b"), "http%3A%2F%2Fh%2Fa%20b");
  EXPECT_EQ(encodeQueryValue("p&w=d+1%"), "p%26w%3Dd%2B1%25");
  EXPECT_EQ(encodeQueryValue("http://h/a%20b"), "http%3A%2F%2Fh%2Fa%2520b");
}

TEST(RefreshCdnUrl, parses_http_urls) {
  std::string error;
  auto u = parseHttpUrl("HTTP://Example.com:8080/a/b?x=1", &error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "Example.com");
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->path, "/a/b");
  EXPECT_EQ(u->query, "x=1");
  EXPECT_EQ(u->origin(), "http://Example.com:8080");
  EXPECT_EQ(u->hostHeader(), "Example.com:8080");

  u = parseHttpUrl("https://cdn.example.com", &error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->port, "");
  EXPECT_EQ(u->path, "");
  EXPECT_EQ(u->hostHeader(), "cdn.example.com");
  EXPECT_EQ(parseHttpUrl("https://h:443/", &error)->hostHeader(), "h");
  EXPECT_EQ(parseHttpUrl("http://h:80/", &error)->hostHeader(), "h");
  EXPECT_EQ(parseHttpUrl("https://h:80/", &error)->hostHeader(), "h:80");

  u = parseHttpUrl("http://[::1]:6081", &error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->host, "[::1]");
  EXPECT_EQ(u->port, "6081");
}

TEST(RefreshCdnUrl, refuses_bad_urls) {
  std::string error;
  for (const char* bad : {"ftp://h/", "h/path", "http://", "http:///x", "http://h:0/", "http://h:65536/",
                          "http://h:/", "http://h:8x/", "http://u:p@h/", "http://h/a#frag", "http://h/a b",
                          "http://h/\xC3\xA9", "http://[::1/"}) {
    EXPECT_FALSE(parseHttpUrl(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(RefreshCdnUrl, rule_checks_base_and_regex) {
  std::string error;
  EXPECT_FALSE(makeUrlRule("pic.xoyo.com/cms", false, "", &error));
  EXPECT_NE(error.find("sendurl base"), std::string::npos);
  EXPECT_FALSE(makeUrlRule("http://h/cms?x=1", false, "", &error));
  EXPECT_FALSE(makeUrlRule("http://h/cms", true, "(unclosed", &error));
  EXPECT_NE(error.find("does not compile"), std::string::npos);
  EXPECT_FALSE(makeUrlRule("http://h/cms", true, "no-group", &error));
  EXPECT_NE(error.find("capture group"), std::string::npos);
  // With regex="false" the match is not used, so sersync files with any match load.
  EXPECT_TRUE(makeUrlRule("http://h/cms", false, "(unclosed", &error));
}

TEST(RefreshCdnUrl, path_mode_appends_the_encoded_relative_path) {
  const UrlRule rule = pathRule("http://pic.xoyo.com/cms");
  EXPECT_EQ(buildUrl(rule, "/data/site", "images/a.jpg", false), "http://pic.xoyo.com/cms/images/a.jpg");
  EXPECT_EQ(buildUrl(rule, "/data/site", "my file?.jpg", false), "http://pic.xoyo.com/cms/my%20file%3F.jpg");
  EXPECT_EQ(buildUrl(rule, "/data/site", "50%/#1", false), "http://pic.xoyo.com/cms/50%25/%231");
  EXPECT_EQ(buildUrl(rule, "/data/site", "bad\xFF/x", false), "http://pic.xoyo.com/cms/bad%FF/x");
  EXPECT_EQ(buildUrl(rule, "/data/site", "images", true), "http://pic.xoyo.com/cms/images/");
  EXPECT_EQ(buildUrl(rule, "/data/site", ".", true), "http://pic.xoyo.com/cms/");
  EXPECT_EQ(buildUrl(rule, "/data/site", ".", false), "http://pic.xoyo.com/cms/");
}

TEST(RefreshCdnUrl, path_mode_joins_with_exactly_one_slash) {
  const UrlRule withSlash = pathRule("http://pic.xoyo.com/cms/");
  EXPECT_EQ(buildUrl(withSlash, "/r", "a.jpg", false), "http://pic.xoyo.com/cms/a.jpg");
  const UrlRule bare = pathRule("http://pic.xoyo.com");
  EXPECT_EQ(buildUrl(bare, "/r", "a.jpg", false), "http://pic.xoyo.com/a.jpg");
  EXPECT_EQ(buildUrl(bare, "/r", "d", true), "http://pic.xoyo.com/d/");
  EXPECT_EQ(rootUrl(bare), "http://pic.xoyo.com/");
  EXPECT_EQ(rootUrl(withSlash), "http://pic.xoyo.com/cms/");
}

TEST(RefreshCdnUrl, regex_mode_appends_group_one_of_the_absolute_path) {
  // sersync's sample: the capture is searched in the absolute path, base + group 1 is the URL.
  const UrlRule rule =
      regexRule("http://pic.xoyo.com/cms", "cms.xoyo.com/site([/a-zA-Z0-9]*).xoyo.com/images");
  const char* root = "/data0/htdocs/cms.xoyo.com/site";
  EXPECT_EQ(buildUrl(rule, root, "jx3.xoyo.com/images/index.html", false), "http://pic.xoyo.com/cms/jx3");
  EXPECT_EQ(buildUrl(rule, root, "jx3.xoyo.com/images/a", true), "http://pic.xoyo.com/cms/jx3/");
  EXPECT_EQ(buildUrl(rule, root, "other/index.html", false), std::nullopt);
}

TEST(RefreshCdnUrl, regex_mode_encodes_the_capture) {
  const UrlRule rule = regexRule("http://h/static", "^/srv/www(/.*)$");
  EXPECT_EQ(buildUrl(rule, "/srv/www", "a b/c#d.css", false), "http://h/static/a%20b/c%23d.css");
  EXPECT_EQ(buildUrl(rule, "/srv/www", "\xFE.bin", false), "http://h/static/%FE.bin");
  EXPECT_EQ(buildUrl(rule, "/srv/www", "dir", true), "http://h/static/dir/");
  // The root itself is the absolute path without a trailing "/": group 1 may not take part at all.
  const UrlRule optional = regexRule("http://h/static/", "^/srv/www(/.+)?$");
  EXPECT_EQ(buildUrl(optional, "/srv/www", ".", true), "http://h/static/");
}

TEST(RefreshCdnUrl, chinacache_request_has_sersyncs_shape_with_encoded_values) {
  ChinaCacheEndpoint cc;
  cc.host = "ccms.chinacache.com";
  cc.user = "user1";
  cc.password = "p&ss=w rd";
  EXPECT_EQ(chinacacheRequestUrl(cc, "http://pic.xoyo.com/cms/a%20b.jpg", false),
            "http://ccms.chinacache.com:80/index.jsp?user=user1&pswd=p%26ss%3Dw%20rd&ok=ok"
            "&urls=http%3A%2F%2Fpic.xoyo.com%2Fcms%2Fa%2520b.jpg");
  EXPECT_EQ(chinacacheRequestUrl(cc, "http://pic.xoyo.com/cms/d/", true),
            "http://ccms.chinacache.com:80/index.jsp?user=user1&pswd=p%26ss%3Dw%20rd&ok=ok"
            "&dirs=http%3A%2F%2Fpic.xoyo.com%2Fcms%2Fd%2F");
  cc.scheme = "https";
  cc.port = "8443";
  cc.path = "/api/purge.jsp";
  EXPECT_EQ(chinacacheRequestUrl(cc, "http://h/x", false).rfind("https://ccms.chinacache.com:8443/api/purge.jsp?", 0),
            0u);
}

TEST(RefreshCdnUrl, redaction_drops_query_and_user_info) {
  EXPECT_EQ(redactUrl("http://h:80/index.jsp?user=u&pswd=secret&ok=ok"), "http://h:80/index.jsp?[redacted]");
  EXPECT_EQ(redactUrl("https://user:pw@api.example.com/v1/purge"), "https://api.example.com/v1/purge");
  EXPECT_EQ(redactUrl("http://h/a#frag"), "http://h/a");
  EXPECT_EQ(redactUrl("http://h/a/b.jpg"), "http://h/a/b.jpg");
  EXPECT_EQ(redactUrl("http://h?x"), "http://h?[redacted]");
}

TEST(RefreshCdnUrl, scrub_removes_plain_and_encoded_secrets) {
  EXPECT_EQ(scrubSecrets("reply: bad pswd=p&w for u", {"p&w"}), "reply: bad pswd=*** for u");
  EXPECT_EQ(scrubSecrets("echo pswd=p%26w", {"p&w"}), "echo pswd=***");
  EXPECT_EQ(scrubSecrets("tok tok", {"tok", ""}), "*** ***");
  EXPECT_EQ(scrubSecrets("nothing here", {}), "nothing here");
}

}  // namespace
}  // namespace fsrelay::refreshcdn
