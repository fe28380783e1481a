// Reads and checks the refreshcdn plugin's settings (sersync's <cdninfo>, <sendurl>, <regexurl> plus ours).
#include "refreshcdn_config.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>

#include <fsrelay/plugin_kit.hpp>

namespace fsrelay::refreshcdn {

const sdk::ConfigKey kKeys[] = {
    {"cdninfo.provider", sdk::KeyType::String, "chinacache", "chinacache | http-purge | json-api", 0},
    {"cdninfo.domainname", sdk::KeyType::String, "", "chinacache: host of the purge API", 0},
    {"cdninfo.port", sdk::KeyType::Int, "80", "chinacache: port of the purge API", 0},
    {"cdninfo.username", sdk::KeyType::String, "", "chinacache: user= value", 0},
    {"cdninfo.passwd", sdk::KeyType::String, "", "chinacache: pswd= value written inline (sersync); never logged", 0},
    {"cdninfo.passwd_file", sdk::KeyType::Path, "",
     "chinacache: file whose first line is the password (instead of passwd); chmod 600", 0},
    {"cdninfo.scheme", sdk::KeyType::String, "http", "chinacache: http or https", 0},
    {"cdninfo.path", sdk::KeyType::String, "/index.jsp", "chinacache: path of the purge API", 0},
    {"sendurl.base", sdk::KeyType::String, nullptr, "URL the watched root is published under", 0},
    {"regexurl.regex", sdk::KeyType::Bool, "false",
     "true: URL = base + group 1 of match searched in the absolute path (sersync)", 0},
    {"regexurl.match", sdk::KeyType::String, "", "ECMAScript regex with at least one capture group", 0},
    {"cache.url", sdk::KeyType::String, "", "http-purge: a cache to purge, http[s]://host:port (repeatable)", 1},
    {"purge.method", sdk::KeyType::String, "PURGE", "http-purge: request method", 0},
    {"purge.dir_method", sdk::KeyType::String, "", "http-purge: method for directory prefixes; empty = method", 0},
    {"api.url", sdk::KeyType::String, "", "json-api: endpoint the JSON batches are POSTed to", 0},
    {"api.token_file", sdk::KeyType::Path, "",
     "json-api: file holding the bearer token; chmod 600; empty = no Authorization header", 0},
    {"api.batch_size", sdk::KeyType::Int, "100", "json-api: at most this many URLs and dirs per request", 0},
    {"api.urls_field", sdk::KeyType::String, "urls", "json-api: JSON field listing the URLs", 0},
    {"api.dirs_field", sdk::KeyType::String, "dirs", "json-api: JSON field listing directory prefixes", 0},
    {"rate.per_second", sdk::KeyType::Int, "0", "at most this many HTTP requests per second; 0 = no limit", 0},
    {"http.timeout_ms", sdk::KeyType::Int, "10000", "timeout of one HTTP request", 0},
    {"http.connect_timeout_ms", sdk::KeyType::Int, "5000", "timeout of connecting", 0},
    {"http.ca_file", sdk::KeyType::Path, "", "CA bundle for https; empty = the system's", 0},
    {"http.insecure", sdk::KeyType::Bool, "false", "https without certificate checks (testing only)", 0},
};
const std::size_t kKeyCount = sizeof kKeys / sizeof kKeys[0];

namespace {

using Settings = sdk::kit::Settings;

// An HTTP method is a token; anything else could smuggle bytes into the request line.
bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    if (!ok || c == '\0') return false;
  }
  return true;
}

bool hasControlBytes(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  }
  return false;
}

// A secret from a file: refused when group or others may access it (as rsync does for its password file),
// because the daemon would otherwise spread a secret that anyone on the machine can read.
bool readSecretFile(const std::string& key, const std::string& path, bool firstLineOnly, std::string* secret,
                    std::string* error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *error = key + " " + path + ": " + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = key + " " + path + ": not a regular file";
    return false;
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    *error = key + " " + path + " must not be accessible by group or others (chmod 600)";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = key + " " + path + ": cannot be read";
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (firstLineOnly) text = text.substr(0, text.find('\n'));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '\t')) {
    text.pop_back();
  }
  if (text.empty()) {
    *error = key + " " + path + " is empty";
    return false;
  }
  if (hasControlBytes(text)) {
    *error = key + " " + path + ": the secret must be one line without control characters";
    return false;
  }
  *secret = std::move(text);
  return true;
}

bool readChinaCache(const Settings& s, Config* config, std::string* error) {
  ChinaCacheEndpoint& cc = config->provider.chinacache;
  cc.host = std::string(s.text("cdninfo.domainname"));
  cc.user = std::string(s.text("cdninfo.username"));
  cc.scheme = std::string(s.text("cdninfo.scheme"));
  cc.path = std::string(s.text("cdninfo.path"));
  std::int64_t port = 0;
  if (!s.integer("cdninfo.port", 1, 65535, &port, error)) return false;
  cc.port = std::to_string(port);
  if (cc.host.empty() || cc.host.find_first_of("/?#@ :") != std::string::npos || hasControlBytes(cc.host)) {
    *error = "cdninfo.domainname must be a host name (the chinacache provider needs it)";
    return false;
  }
  if (cc.user.empty()) {
    *error = "cdninfo.username is required by the chinacache provider";
    return false;
  }
  if (cc.scheme != "http" && cc.scheme != "https") {
    *error = "cdninfo.scheme must be http or https";
    return false;
  }
  if (cc.path.empty() || cc.path.front() != '/' || cc.path.find_first_of("?# ") != std::string::npos ||
      hasControlBytes(cc.path)) {
    *error = "cdninfo.path must be an absolute URL path without a query";
    return false;
  }
  const std::string inlinePassword(s.text("cdninfo.passwd"));
  const std::string passwordFile(s.text("cdninfo.passwd_file"));
  if (!inlinePassword.empty() && !passwordFile.empty()) {
    *error = "cdninfo: give either passwd or passwd_file, not both";
    return false;
  }
  if (!passwordFile.empty()) {
    if (!readSecretFile("cdninfo.passwd_file", passwordFile, true, &cc.password, error)) return false;
  } else if (!inlinePassword.empty()) {
    cc.password = inlinePassword;
  } else {
    *error = "cdninfo.passwd or cdninfo.passwd_file is required by the chinacache provider";
    return false;
  }
  config->secrets.push_back(cc.password);
  config->summary = "chinacache " + cc.scheme + "://" + cc.host + ":" + cc.port + cc.path + " as " + cc.user;
  return true;
}

bool readHttpPurge(const Settings& s, Config* config, std::string* error) {
  PurgeCaches& pc = config->provider.purge;
  for (std::string_view value : s.all("cache.url")) {
    if (value.empty()) continue;
    const std::string text(value);
    std::string why;
    std::optional<HttpUrl> url = parseHttpUrl(text, &why);
    if (!url) {
      *error = "cache.url \"" + text + "\": " + why;
      return false;
    }
    if ((!url->path.empty() && url->path != "/") || !url->query.empty()) {
      *error = "cache.url \"" + text + "\" must be scheme://host:port only (the path comes from each URL)";
      return false;
    }
    pc.caches.push_back(std::move(*url));
  }
  if (pc.caches.empty()) {
    *error = "the http-purge provider needs at least one <cache url=\"http://host:port\"/> (cache.url)";
    return false;
  }
  pc.method = std::string(s.text("purge.method"));
  pc.dirMethod = std::string(s.text("purge.dir_method"));
  if (!isToken(pc.method)) {
    *error = "purge.method must be an HTTP method name";
    return false;
  }
  if (!pc.dirMethod.empty() && !isToken(pc.dirMethod)) {
    *error = "purge.dir_method must be an HTTP method name";
    return false;
  }
  config->summary = "http-purge " + pc.method + " to";
  for (const HttpUrl& c : pc.caches) config->summary += " " + c.origin();
  return true;
}

bool readJsonApi(const Settings& s, Config* config, std::string* error) {
  ApiEndpoint& api = config->provider.api;
  api.url = std::string(s.text("api.url"));
  std::string why;
  if (api.url.empty()) {
    *error = "api.url is required by the json-api provider";
    return false;
  }
  if (!parseHttpUrl(api.url, &why)) {
    *error = "api.url \"" + api.url + "\": " + why;
    return false;
  }
  std::int64_t batch = 0;
  if (!s.integer("api.batch_size", 1, 1000000, &batch, error)) return false;
  api.batchSize = static_cast<std::size_t>(batch);
  api.urlsField = std::string(s.text("api.urls_field"));
  api.dirsField = std::string(s.text("api.dirs_field"));
  if (api.urlsField.empty() || api.dirsField.empty() || api.urlsField == api.dirsField) {
    *error = "api.urls_field and api.dirs_field must be two different, non-empty names";
    return false;
  }
  const std::string tokenFile(s.text("api.token_file"));
  if (!tokenFile.empty()) {
    if (!readSecretFile("api.token_file", tokenFile, false, &api.token, error)) return false;
    config->secrets.push_back(api.token);
  }
  config->summary = "json-api POST " + redactUrl(api.url) + ", " + std::to_string(api.batchSize) + " per request" +
                    (api.token.empty() ? ", no token" : ", bearer token");
  return true;
}

}  // namespace

bool readConfig(const sdk::Setting* settings, std::size_t count, Config* config, std::string* error) {
  const Settings s(settings, count, kKeys, kKeyCount);
  bool useRegex = false;
  if (!s.boolean("regexurl.regex", &useRegex, error)) return false;
  const std::string_view base = s.text("sendurl.base");
  if (base.empty()) {
    *error = "sendurl.base is required: the URL the watched root is published under";
    return false;
  }
  std::optional<UrlRule> rule = makeUrlRule(base, useRegex, s.text("regexurl.match"), error);
  if (!rule) return false;
  config->rule = std::move(*rule);

  std::int64_t perSecond = 0;
  std::int64_t timeoutMs = 0;
  std::int64_t connectTimeoutMs = 0;
  if (!s.integer("rate.per_second", 0, 1000000, &perSecond, error) ||
      !s.integer("http.timeout_ms", 1, 3600000, &timeoutMs, error) ||
      !s.integer("http.connect_timeout_ms", 1, 3600000, &connectTimeoutMs, error) ||
      !s.boolean("http.insecure", &config->http.insecure, error)) {
    return false;
  }
  config->perSecond = static_cast<std::uint32_t>(perSecond);
  config->http.timeoutMs = static_cast<long>(timeoutMs);
  config->http.connectTimeoutMs = static_cast<long>(connectTimeoutMs);
  config->http.caFile = std::string(s.text("http.ca_file"));

  const std::string_view provider = s.text("cdninfo.provider");
  bool ok = false;
  if (provider == "chinacache") {
    config->provider.provider = Provider::ChinaCache;
    ok = readChinaCache(s, config, error);
  } else if (provider == "http-purge") {
    config->provider.provider = Provider::HttpPurge;
    ok = readHttpPurge(s, config, error);
  } else if (provider == "json-api") {
    config->provider.provider = Provider::JsonApi;
    ok = readJsonApi(s, config, error);
  } else {
    *error = "cdninfo.provider must be chinacache, http-purge or json-api, not \"" + std::string(provider) + "\"";
  }
  if (!ok) return false;
  config->summary += ", base " + config->rule.base + (useRegex ? " (regexurl)" : "");
  if (config->perSecond > 0) config->summary += ", at most " + std::to_string(config->perSecond) + " request(s)/s";
  return true;
}

}  // namespace fsrelay::refreshcdn
