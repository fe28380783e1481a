// Unit tests of the refreshcdn plugin's request shaping: purge plans, provider requests, JSON, outcomes, pacing.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "refreshcdn/cdn_format.hpp"
#include "refreshcdn/pacer.hpp"

namespace fsrelay::refreshcdn {
namespace {

using sdk::Op;
using sdk::Status;

// Events whose byte views point into strings this object owns.
class Events {
 public:
  Events& add(Op op, std::string path, bool dir = false, std::string old = {}) {
    paths_.push_back(std::move(path));
    olds_.push_back(std::move(old));
    ops_.push_back({op, dir});
    return *this;
  }
  std::vector<sdk::Event> build() const {
    std::vector<sdk::Event> out;
    for (std::size_t i = 0; i < paths_.size(); ++i) {
      sdk::Bytes old{nullptr, 0};
      if (ops_[i].first == Op::Move) old = {olds_[i].data(), olds_[i].size()};
      out.push_back(sdk::Event{ops_[i].first, static_cast<std::uint8_t>(ops_[i].second),
                               {paths_[i].data(), paths_[i].size()}, old, 0});
    }
    return out;
  }

 private:
  std::vector<std::string> paths_, olds_;
  std::vector<std::pair<Op, bool>> ops_;
};

UrlRule rule(const std::string& base = "http://www.example.com/site") {
  std::string error;
  return *makeUrlRule(base, false, "", &error);
}

PurgePlan plan(const Events& e, const UrlRule& r = rule()) {
  const std::vector<sdk::Event> events = e.build();
  return planPurges(events.data(), events.size(), "/srv/www", r);
}

std::vector<std::string> urls(const PurgePlan& p) {
  std::vector<std::string> out;
  for (const PurgeItem& item : p.items) out.push_back(item.url);
  return out;
}

TEST(RefreshCdnFormat, upserts_deletes_and_moves_purge_their_paths) {
  Events e;
  e.add(Op::Upsert, "a.html").add(Op::Delete, "old dir", true).add(Op::Move, "new.css", false, "old.css");
  const PurgePlan p = plan(e);
  EXPECT_EQ(urls(p), (std::vector<std::string>{"http://www.example.com/site/a.html",
                                               "http://www.example.com/site/old%20dir/",
                                               "http://www.example.com/site/old.css",
                                               "http://www.example.com/site/new.css"}));
  EXPECT_FALSE(p.items[0].isDir);
  EXPECT_TRUE(p.items[1].isDir);
  EXPECT_EQ(p.items[2].events, std::vector<std::size_t>{2});
  EXPECT_EQ(p.items[3].events, std::vector<std::size_t>{2});
  EXPECT_TRUE(p.unmatched.empty());
  EXPECT_TRUE(p.rejected.empty());
}

TEST(RefreshCdnFormat, urls_are_deduplicated_and_remember_every_event) {
  Events e;
  e.add(Op::Upsert, "a.html").add(Op::Move, "b.html", false, "a.html").add(Op::Upsert, "b.html");
  const PurgePlan p = plan(e);
  ASSERT_EQ(urls(p), (std::vector<std::string>{"http://www.example.com/site/a.html",
                                               "http://www.example.com/site/b.html"}));
  EXPECT_EQ(p.items[0].events, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(p.items[1].events, (std::vector<std::size_t>{1, 2}));
}

TEST(RefreshCdnFormat, regex_mode_many_paths_one_url_and_unmatched_paths) {
  std::string error;
  const UrlRule r = *makeUrlRule("http://pic.example.com/cms", true, "^/srv/www/([a-z]+)/images", &error);
  Events e;
  e.add(Op::Upsert, "jx/images/1.png").add(Op::Upsert, "jx/images/2.png").add(Op::Upsert, "README");
  const PurgePlan p = plan(e, r);
  EXPECT_EQ(urls(p), std::vector<std::string>{"http://pic.example.com/cmsjx"});
  EXPECT_EQ(p.items[0].events, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(p.unmatched, std::vector<std::size_t>{2});
}

TEST(RefreshCdnFormat, unsafe_paths_are_rejected) {
  Events e;
  e.add(Op::Upsert, "../etc/passwd").add(Op::Upsert, "/abs").add(Op::Move, "ok", false, "a/../b").add(Op::Upsert, "fine");
  const PurgePlan p = plan(e);
  EXPECT_EQ(p.rejected, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(urls(p), std::vector<std::string>{"http://www.example.com/site/fine"});
}

TEST(RefreshCdnFormat, full_sync_purges_the_base_as_a_directory) {
  const PurgePlan p = planFullSync(rule("http://www.example.com/site/"));
  ASSERT_EQ(p.items.size(), 1u);
  EXPECT_EQ(p.items[0].url, "http://www.example.com/site/");
  EXPECT_TRUE(p.items[0].isDir);
  EXPECT_TRUE(p.items[0].events.empty());
}

std::vector<PurgeItem> items(std::initializer_list<std::pair<const char*, bool>> list) {
  std::vector<PurgeItem> out;
  for (auto [url, dir] : list) out.push_back(PurgeItem{url, dir, {}});
  return out;
}

TEST(RefreshCdnFormat, chinacache_sends_one_head_per_url) {
  ProviderConfig c;
  c.provider = Provider::ChinaCache;
  c.chinacache.host = "127.0.0.1";
  c.chinacache.port = "8080";
  c.chinacache.user = "u";
  c.chinacache.password = "s3cr&t";
  const auto reqs = buildRequests(c, items({{"http://h/a.jpg", false}, {"http://h/d/", true}}));
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "HEAD");
  EXPECT_EQ(reqs[0].url, "http://127.0.0.1:8080/index.jsp?user=u&pswd=s3cr%26t&ok=ok&urls=http%3A%2F%2Fh%2Fa.jpg");
  EXPECT_EQ(reqs[1].url, "http://127.0.0.1:8080/index.jsp?user=u&pswd=s3cr%26t&ok=ok&dirs=http%3A%2F%2Fh%2Fd%2F");
  EXPECT_EQ(reqs[0].endpoint, "http://127.0.0.1:8080");
  EXPECT_EQ(reqs[1].items, std::vector<std::size_t>{1});
  for (const HttpRequest& r : reqs) {
    EXPECT_EQ(r.describe.find("s3cr"), std::string::npos) << r.describe;
    EXPECT_TRUE(r.body.empty());
    EXPECT_FALSE(r.notFoundIsOk);
  }
  EXPECT_EQ(reqs[1].describe, "HEAD http://127.0.0.1:8080/index.jsp?[redacted] dirs=http://h/d/");
}

TEST(RefreshCdnFormat, http_purge_targets_each_cache_with_the_sites_host) {
  ProviderConfig c;
  c.provider = Provider::HttpPurge;
  std::string error;
  c.purge.caches = {*parseHttpUrl("http://127.0.0.1:6081", &error), *parseHttpUrl("http://10.0.0.2", &error)};
  c.purge.dirMethod = "BAN";
  const auto reqs =
      buildRequests(c, items({{"http://www.example.com:8080/site/a%20b.jpg", false}, {"https://www.example.com/d/", true}}));
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].method, "PURGE");
  EXPECT_EQ(reqs[0].url, "http://127.0.0.1:6081/site/a%20b.jpg");
  EXPECT_EQ(reqs[0].headers, std::vector<std::string>{"Host: www.example.com:8080"});
  EXPECT_EQ(reqs[1].url, "http://10.0.0.2/site/a%20b.jpg");
  EXPECT_EQ(reqs[1].endpoint, "http://10.0.0.2");
  EXPECT_EQ(reqs[2].method, "BAN");
  EXPECT_EQ(reqs[2].url, "http://127.0.0.1:6081/d/");
  EXPECT_EQ(reqs[2].headers, std::vector<std::string>{"Host: www.example.com"});
  EXPECT_TRUE(reqs[0].notFoundIsOk);
  EXPECT_EQ(reqs[3].items, std::vector<std::size_t>{1});
}

TEST(RefreshCdnFormat, http_purge_of_the_bare_origin_uses_slash) {
  ProviderConfig c;
  c.provider = Provider::HttpPurge;
  std::string error;
  c.purge.caches = {*parseHttpUrl("http://127.0.0.1:6081/", &error)};
  const auto reqs = buildRequests(c, items({{"http://www.example.com/", true}}));
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].url, "http://127.0.0.1:6081/");
  EXPECT_EQ(reqs[0].method, "PURGE");
}

TEST(RefreshCdnFormat, json_api_splits_batches_and_carries_the_token) {
  ProviderConfig c;
  c.provider = Provider::JsonApi;
  c.api.url = "https://api.example.com/v1/purge?zone=1";
  c.api.token = "tok123";
  c.api.batchSize = 2;
  const auto reqs = buildRequests(
      c, items({{"http://h/a", false}, {"http://h/d/", true}, {"http://h/b", false}, {"http://h/c", false},
                {"http://h/e/", true}}));
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].url, "https://api.example.com/v1/purge?zone=1");
  EXPECT_EQ(reqs[0].body, R"({"urls":["http://h/a"],"dirs":["http://h/d/"]})");
  EXPECT_EQ(reqs[1].body, R"({"urls":["http://h/b","http://h/c"]})");
  EXPECT_EQ(reqs[2].body, R"({"dirs":["http://h/e/"]})");
  EXPECT_EQ(reqs[1].items, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(reqs[0].headers,
            (std::vector<std::string>{"Content-Type: application/json", "Authorization: Bearer tok123"}));
  EXPECT_EQ(reqs[0].endpoint, "https://api.example.com");
  EXPECT_EQ(reqs[0].describe, "POST https://api.example.com/v1/purge?[redacted] (1 url(s), 1 dir(s))");
  for (const HttpRequest& r : reqs) EXPECT_EQ(r.describe.find("tok123"), std::string::npos);

  c.api.token.clear();
  EXPECT_EQ(buildRequests(c, items({{"http://h/a", false}}))[0].headers,
            std::vector<std::string>{"Content-Type: application/json"});
}

TEST(RefreshCdnFormat, json_body_uses_configured_fields_and_escapes) {
  const std::vector<PurgeItem> list = items({{"http://h/\"q\"\\", false}, {"http://h/\xFF/", true}});
  const std::vector<const PurgeItem*> ptrs = {&list[0], &list[1]};
  EXPECT_EQ(jsonBody(ptrs, "files", "prefixes"),
            "{\"files\":[\"http://h/\\\"q\\\"\\\\\"],\"prefixes\":[\"http://h/\xEF\xBF\xBD/\"]}");
  EXPECT_EQ(jsonBody({}, "urls", "dirs"), "{}");
}

TEST(RefreshCdnFormat, http_outcomes) {
  EXPECT_EQ(classifyHttp(200, false, false), Status::Ok);
  EXPECT_EQ(classifyHttp(204, false, false), Status::Ok);
  EXPECT_EQ(classifyHttp(0, true, false), Status::Retry);
  EXPECT_EQ(classifyHttp(500, false, false), Status::Retry);
  EXPECT_EQ(classifyHttp(503, false, true), Status::Retry);
  EXPECT_EQ(classifyHttp(429, false, false), Status::Retry);
  EXPECT_EQ(classifyHttp(408, false, false), Status::Retry);
  EXPECT_EQ(classifyHttp(400, false, false), Status::Fail);
  EXPECT_EQ(classifyHttp(401, false, false), Status::Fail);
  EXPECT_EQ(classifyHttp(403, false, true), Status::Fail);
  EXPECT_EQ(classifyHttp(404, false, false), Status::Fail);
  EXPECT_EQ(classifyHttp(404, false, true), Status::Ok);
  EXPECT_EQ(classifyHttp(301, false, false), Status::Fail);
  EXPECT_EQ(worse(Status::Ok, Status::Retry), Status::Retry);
  EXPECT_EQ(worse(Status::Fail, Status::Retry), Status::Fail);
  EXPECT_EQ(worse(Status::Ok, Status::Ok), Status::Ok);
}

TEST(RefreshCdnPacer, spaces_requests_evenly) {
  using namespace std::chrono_literals;
  const Pacer::Clock::time_point t0 = Pacer::Clock::now();
  Pacer unlimited(0);
  EXPECT_EQ(unlimited.reserve(t0), t0);
  EXPECT_EQ(unlimited.reserve(t0), t0);

  Pacer four(4);
  EXPECT_EQ(four.interval(), 250ms);
  EXPECT_EQ(four.reserve(t0), t0);
  EXPECT_EQ(four.reserve(t0), t0 + 250ms);
  EXPECT_EQ(four.reserve(t0 + 10ms), t0 + 500ms);
  // After an idle spell the next request goes at once, without a burst credit.
  EXPECT_EQ(four.reserve(t0 + 5s), t0 + 5s);
  EXPECT_EQ(four.reserve(t0 + 5s), t0 + 5s + 250ms);
}

}  // namespace
}  // namespace fsrelay::refreshcdn
