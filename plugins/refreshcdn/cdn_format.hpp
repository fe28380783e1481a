// Pure request shaping of the refreshcdn plugin: events -> deduplicated URLs -> provider HTTP requests.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <fsrelay/plugin.hpp>

#include "cdn_url.hpp"

namespace fsrelay::refreshcdn {

// One URL to purge and the events of the batch that asked for it.
struct PurgeItem {
  std::string url;
  bool isDir = false;
  std::vector<std::size_t> events;  // indexes into Batch::events; empty for a full sync
};

struct PurgePlan {
  std::vector<PurgeItem> items;       // first-seen order, each URL once
  std::vector<std::size_t> unmatched; // events whose path the regexurl does not match: nothing to purge
  std::vector<std::size_t> rejected;  // events with a path no URL may be built from ("..", NUL, absolute)
};

// Upserts and deletes purge their path; a move purges its old and its new path. URLs are deduplicated.
PurgePlan planPurges(const sdk::Event* events, std::size_t count, std::string_view root, const UrlRule& rule);

// A full sync: the root's base URL as a directory.
PurgePlan planFullSync(const UrlRule& rule);

enum class Provider { ChinaCache, HttpPurge, JsonApi };

struct ApiEndpoint {
  std::string url;                 // the POST target
  std::string token;               // "" = no Authorization header
  std::size_t batchSize = 100;     // URLs + dirs per request
  std::string urlsField = "urls";
  std::string dirsField = "dirs";
};

struct PurgeCaches {
  std::vector<HttpUrl> caches;     // where PURGE requests go (origin only)
  std::string method = "PURGE";
  std::string dirMethod;           // "" = method
};

struct ProviderConfig {
  Provider provider = Provider::ChinaCache;
  ChinaCacheEndpoint chinacache;
  PurgeCaches purge;
  ApiEndpoint api;
};

// One HTTP request to make. Everything here may be logged except url (query may hold a password) and headers.
struct HttpRequest {
  std::string method;                 // HEAD sends no body and reads none
  std::string url;                    // full request URL
  std::vector<std::string> headers;   // "Name: value"
  std::string body;
  std::string endpoint;               // scheme://host:port the request goes to: requests to a dead one are skipped
  std::string describe;               // for logs: method, redacted URL, what is purged
  std::vector<std::size_t> items;     // indexes into PurgePlan::items this request purges
  bool notFoundIsOk = false;          // PURGE of an object the cache does not hold: 404 on nginx and Squid
};

std::vector<HttpRequest> buildRequests(const ProviderConfig& config, const std::vector<PurgeItem>& items);

// {"urls":[...],"dirs":[...]} with the field names given; a field with no entries is left out.
std::string jsonBody(const std::vector<const PurgeItem*>& items, std::string_view urlsField,
                     std::string_view dirsField);

// An HTTP reply (or its absence) as an outcome: 2xx Ok (404 too with notFoundIsOk); a transport error,
// 408, 425, 429 and 5xx Retry (passing); any other status (3xx, 4xx) Fail: resending will not help.
sdk::Status classifyHttp(long httpStatus, bool transportError, bool notFoundIsOk);

// The more serious of two outcomes: Fail over Retry over Ok.
sdk::Status worse(sdk::Status a, sdk::Status b);

}  // namespace fsrelay::refreshcdn
