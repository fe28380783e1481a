// Pure request shaping of the refreshcdn plugin (standard library and the SDK's JSON helpers only).
#include "cdn_format.hpp"

#include <fsrelay/json_text.hpp>
#include <fsrelay/plugin_kit.hpp>

#include <map>
#include <optional>
#include <utility>

namespace fsrelay::refreshcdn {
namespace {

using sdk::kit::safeRelativePath;
using sdk::kit::view;

class PlanBuilder {
 public:
  explicit PlanBuilder(PurgePlan& plan) : plan_(plan) {}

  void add(std::string url, bool isDir, std::optional<std::size_t> event) {
    auto [it, inserted] = index_.emplace(url, plan_.items.size());
    if (inserted) plan_.items.push_back(PurgeItem{std::move(url), isDir, {}});
    std::vector<std::size_t>& events = plan_.items[it->second].events;
    if (event && (events.empty() || events.back() != *event)) events.push_back(*event);
  }

 private:
  PurgePlan& plan_;
  std::map<std::string, std::size_t> index_;
};

std::string itemsSummary(const std::vector<const PurgeItem*>& items) {
  std::size_t dirs = 0;
  for (const PurgeItem* item : items) dirs += item->isDir ? 1 : 0;
  return std::to_string(items.size() - dirs) + " url(s), " + std::to_string(dirs) + " dir(s)";
}

void appendField(std::string& out, std::string_view name, const std::vector<const PurgeItem*>& items, bool dirs,
                 bool& first) {
  bool any = false;
  for (const PurgeItem* item : items) {
    if (item->isDir != dirs) continue;
    if (!any) {
      if (!first) out += ',';
      first = false;
      sdk::json::appendString(out, name);
      out += ":[";
    } else {
      out += ',';
    }
    any = true;
    sdk::json::appendString(out, item->url);
  }
  if (any) out += ']';
}

}  // namespace

PurgePlan planPurges(const sdk::Event* events, std::size_t count, std::string_view root, const UrlRule& rule) {
  PurgePlan plan;
  PlanBuilder builder(plan);
  for (std::size_t i = 0; i < count; ++i) {
    const sdk::Event& e = events[i];
    std::vector<std::string_view> paths;
    if (e.op == sdk::Op::Move) paths.push_back(view(e.old_path));
    paths.push_back(view(e.path));
    // The host never sends unsafe paths; a URL built from one could point outside the root's base.
    bool unsafe = false;
    for (std::string_view p : paths) unsafe = unsafe || !safeRelativePath(p);
    if (unsafe) {
      plan.rejected.push_back(i);
      continue;
    }
    bool matched = false;
    for (std::string_view p : paths) {
      std::optional<std::string> url = buildUrl(rule, root, p, e.is_dir != 0);
      if (!url) continue;
      matched = true;
      const bool isDir = !url->empty() && url->back() == '/';
      builder.add(std::move(*url), isDir, i);
    }
    if (!matched) plan.unmatched.push_back(i);
  }
  return plan;
}

PurgePlan planFullSync(const UrlRule& rule) {
  PurgePlan plan;
  plan.items.push_back(PurgeItem{rootUrl(rule), true, {}});
  return plan;
}

std::string jsonBody(const std::vector<const PurgeItem*>& items, std::string_view urlsField,
                     std::string_view dirsField) {
  std::string out = "{";
  bool first = true;
  appendField(out, urlsField, items, false, first);
  appendField(out, dirsField, items, true, first);
  out += '}';
  return out;
}

std::vector<HttpRequest> buildRequests(const ProviderConfig& config, const std::vector<PurgeItem>& items) {
  std::vector<HttpRequest> out;
  switch (config.provider) {
    case Provider::ChinaCache: {
      const ChinaCacheEndpoint& cc = config.chinacache;
      const std::string endpoint = cc.scheme + "://" + cc.host + ":" + cc.port;
      for (std::size_t i = 0; i < items.size(); ++i) {
        HttpRequest r;
        r.method = "HEAD";
        r.url = chinacacheRequestUrl(cc, items[i].url, items[i].isDir);
        r.endpoint = endpoint;
        r.describe = "HEAD " + redactUrl(r.url) + (items[i].isDir ? " dirs=" : " urls=") + items[i].url;
        r.items = {i};
        out.push_back(std::move(r));
      }
      break;
    }
    case Provider::HttpPurge: {
      const PurgeCaches& pc = config.purge;
      for (std::size_t i = 0; i < items.size(); ++i) {
        std::string why;
        const std::optional<HttpUrl> target = parseHttpUrl(items[i].url, &why);
        if (!target) continue;  // cannot happen: items are built from a validated base
        std::string path = target->path.empty() ? "/" : target->path;
        if (!target->query.empty()) path += "?" + target->query;
        for (const HttpUrl& cache : pc.caches) {
          HttpRequest r;
          r.method = items[i].isDir && !pc.dirMethod.empty() ? pc.dirMethod : pc.method;
          r.url = cache.origin() + path;
          r.headers = {"Host: " + target->hostHeader()};
          r.endpoint = cache.origin();
          r.describe = r.method + " " + r.url + " (Host: " + target->hostHeader() + ")";
          r.items = {i};
          r.notFoundIsOk = true;
          out.push_back(std::move(r));
        }
      }
      break;
    }
    case Provider::JsonApi: {
      const ApiEndpoint& api = config.api;
      const std::size_t size = api.batchSize == 0 ? 1 : api.batchSize;
      std::string why;
      const std::optional<HttpUrl> parsed = parseHttpUrl(api.url, &why);
      const std::string endpoint = parsed ? parsed->origin() : api.url;
      for (std::size_t start = 0; start < items.size(); start += size) {
        HttpRequest r;
        std::vector<const PurgeItem*> chunk;
        for (std::size_t i = start; i < items.size() && i < start + size; ++i) {
          chunk.push_back(&items[i]);
          r.items.push_back(i);
        }
        r.method = "POST";
        r.url = api.url;
        r.headers = {"Content-Type: application/json"};
        if (!api.token.empty()) r.headers.push_back("Authorization: Bearer " + api.token);
        r.body = jsonBody(chunk, api.urlsField, api.dirsField);
        r.endpoint = endpoint;
        r.describe = "POST " + redactUrl(api.url) + " (" + itemsSummary(chunk) + ")";
        out.push_back(std::move(r));
      }
      break;
    }
  }
  return out;
}

sdk::Status classifyHttp(long httpStatus, bool transportError, bool notFoundIsOk) {
  if (transportError) return sdk::Status::Retry;
  if (httpStatus >= 200 && httpStatus < 300) return sdk::Status::Ok;
  if (httpStatus == 404 && notFoundIsOk) return sdk::Status::Ok;
  if (httpStatus == 408 || httpStatus == 425 || httpStatus == 429 || httpStatus >= 500) return sdk::Status::Retry;
  return sdk::Status::Fail;
}

sdk::Status worse(sdk::Status a, sdk::Status b) {
  auto rank = [](sdk::Status s) { return s == sdk::Status::Fail ? 2 : s == sdk::Status::Retry ? 1 : 0; };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace fsrelay::refreshcdn
