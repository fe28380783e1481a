// Unit tests of the http plugin's request helpers: bind address, Host/Origin checks, tokens, /sync arguments.
#include <gtest/gtest.h>

#include <string>

#include "http/request_args.hpp"

namespace fsrelay::http {
namespace {

TEST(HttpRequestArgs, bind_host_normalization) {
  EXPECT_EQ(normalizeBindHost("localhost"), "127.0.0.1");  // sersync's sample
  EXPECT_EQ(normalizeBindHost("LocalHost"), "127.0.0.1");
  EXPECT_EQ(normalizeBindHost(""), "127.0.0.1");
  EXPECT_EQ(normalizeBindHost("[::1]"), "::1");
  EXPECT_EQ(normalizeBindHost(" 0.0.0.0 "), "0.0.0.0");
}

TEST(HttpRequestArgs, loopback_addresses) {
  EXPECT_TRUE(isLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(isLoopbackAddress("127.1.2.3"));
  EXPECT_TRUE(isLoopbackAddress("::1"));
  EXPECT_TRUE(isLoopbackAddress("localhost"));
  EXPECT_FALSE(isLoopbackAddress("0.0.0.0"));
  EXPECT_FALSE(isLoopbackAddress("::"));
  EXPECT_FALSE(isLoopbackAddress("192.168.1.1"));
  EXPECT_FALSE(isLoopbackAddress("127.0.0.1.evil.example"));
  EXPECT_FALSE(isLoopbackAddress("127.0.0"));
  EXPECT_FALSE(isLoopbackAddress("127..0.1"));
}

TEST(HttpRequestArgs, host_header_of_a_loopback_endpoint) {
  EXPECT_TRUE(loopbackHostHeaderAllowed("127.0.0.1:8008", 8008));
  EXPECT_TRUE(loopbackHostHeaderAllowed("localhost:8008", 8008));
  EXPECT_TRUE(loopbackHostHeaderAllowed("[::1]:8008", 8008));
  EXPECT_TRUE(loopbackHostHeaderAllowed("127.0.0.1", 8008));
  EXPECT_FALSE(loopbackHostHeaderAllowed("127.0.0.1:9000", 8008));
  EXPECT_FALSE(loopbackHostHeaderAllowed("evil.example:8008", 8008));  // DNS rebinding
  EXPECT_FALSE(loopbackHostHeaderAllowed("", 8008));
}

TEST(HttpRequestArgs, same_origin) {
  EXPECT_TRUE(sameOrigin("http://127.0.0.1:8008", "127.0.0.1:8008"));
  EXPECT_TRUE(sameOrigin("HTTP://LocalHost:8008", "localhost:8008"));
  EXPECT_FALSE(sameOrigin("http://evil.example", "127.0.0.1:8008"));
  EXPECT_FALSE(sameOrigin("null", "127.0.0.1:8008"));
  EXPECT_FALSE(sameOrigin("https://127.0.0.1:8008", "127.0.0.1:8008"));
  EXPECT_FALSE(sameOrigin("http://127.0.0.1:8008", ""));
}

TEST(HttpRequestArgs, bearer_token) {
  EXPECT_EQ(bearerToken("Bearer abc"), "abc");
  EXPECT_EQ(bearerToken("bearer   abc  "), "abc");
  EXPECT_FALSE(bearerToken("Basic abc").has_value());
  EXPECT_FALSE(bearerToken("Bearer").has_value());
  EXPECT_FALSE(bearerToken("Bearer ").has_value());
  EXPECT_FALSE(bearerToken("Bearerabc").has_value());
  EXPECT_FALSE(bearerToken("").has_value());
}

TEST(HttpRequestArgs, constant_time_equal) {
  EXPECT_TRUE(constantTimeEqual("0123456789abcdef", "0123456789abcdef"));
  EXPECT_FALSE(constantTimeEqual("0123456789abcdef", "0123456789abcdeF"));
  EXPECT_FALSE(constantTimeEqual("0123456789abcdef", "0123456789abcde"));
  EXPECT_FALSE(constantTimeEqual("0123456789abcdef", "0123456789abcdef0"));
  EXPECT_FALSE(constantTimeEqual("abc", ""));
  EXPECT_FALSE(constantTimeEqual("", ""));  // no token configured never matches
  EXPECT_FALSE(constantTimeEqual("abcabc", "abc"));  // a prefix repeated is not the secret
}

TEST(HttpRequestArgs, token_file_content) {
  std::string why;
  EXPECT_EQ(tokenFromFile("  0123456789abcdef0123\n", &why), "0123456789abcdef0123");
  EXPECT_FALSE(tokenFromFile("short\n", &why).has_value());
  EXPECT_NE(why.find("16"), std::string::npos);
  EXPECT_FALSE(tokenFromFile("0123456789 abcdef0123", &why).has_value());
  EXPECT_FALSE(tokenFromFile("", &why).has_value());
}

TEST(HttpRequestArgs, sync_json_both_optional) {
  std::string why;
  auto all = parseSyncJson("", &why);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->root, "");
  auto empty = parseSyncJson(" {} ", &why);
  ASSERT_TRUE(empty);
  auto one = parseSyncJson("{\"root\":\"/srv/www\",\"target\":null}", &why);
  ASSERT_TRUE(one) << why;
  EXPECT_EQ(one->root, "/srv/www");
  EXPECT_EQ(one->target, "");
  auto both = parseSyncJson("{ \"target\" : \"t1\" , \"root\" : \"/a\\\"b\\u00e9\\ud83d\\ude00\" }", &why);
  ASSERT_TRUE(both) << why;
  EXPECT_EQ(both->root, "/a\"b\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(both->target, "t1");
}

TEST(HttpRequestArgs, sync_json_rejects_what_it_does_not_understand) {
  std::string why;
  EXPECT_FALSE(parseSyncJson("[]", &why));
  EXPECT_FALSE(parseSyncJson("{\"roots\":\"/srv\"}", &why));  // a typo must not mean "every root"
  EXPECT_FALSE(parseSyncJson("{\"root\":1}", &why));
  EXPECT_FALSE(parseSyncJson("{\"root\":\"/a\",\"root\":\"/b\"}", &why));
  EXPECT_FALSE(parseSyncJson("{\"root\":\"/a\"", &why));
  EXPECT_FALSE(parseSyncJson("{\"root\":\"/a\"} x", &why));
  EXPECT_FALSE(parseSyncJson("{\"root\":\"\\ud800\"}", &why));
  EXPECT_FALSE(parseSyncJson("{\"root\":\"a\nb\"}", &why));  // raw control byte
}

}  // namespace
}  // namespace fsrelay::http
