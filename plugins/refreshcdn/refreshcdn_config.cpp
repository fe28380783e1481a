// Reads and checks the refreshcdn plugin's settings (sersync's <cdninfo>, <sendurl>, <regexurl> plus ours).
#include "refreshcdn_config.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>

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

std::string_view view(sdk::Bytes b) {
  return b.data == nullptr ? std::string_view() : std::string_view(b.data, b.size);
}

class Settings {
 public:
  Settings(const sdk::Setting* settings, std::size_t count) : settings_(settings), count_(count) {}

  // The last value given, else the declared default.
  std::string_view get(const char* key) const {
    std::optional<std::string_view> found;
    for (std::size_t i = 0; i < count_; ++i) {
      if (std::strcmp(settings_[i].key, key) == 0) found = view(settings_[i].value);
    }
    if (found) return *found;
    for (const sdk::ConfigKey& k : kKeys) {
      if (std::strcmp(k.name, key) == 0 && k.default_value != nullptr) return k.default_value;
    }
    return {};
  }

  std::vector<std::string> all(const char* key) const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count_; ++i) {
      if (std::strcmp(settings_[i].key, key) == 0 && settings_[i].value.size > 0) {
        out.emplace_back(view(settings_[i].value));
      }
    }
    return out;
  }

 private:
  const sdk::Setting* settings_;
  std::size_t count_;
};

bool parseBool(std::string_view v, bool* out) {
  std::string lower;
  for (char c : v) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
    *out = true;
  } else if (lower == "false" || lower == "0" || lower == "no" || lower == "off") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

bool parseUint(std::string_view v, std::uint64_t min, std::uint64_t max, std::uint64_t* out) {
  if (v.empty()) return false;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || n > (max - static_cast<std::uint64_t>(c - '0')) / 10) return false;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n < min) return false;
  *out = n;
  return true;
}

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
  cc.host = std::string(s.get("cdninfo.domainname"));
  cc.user = std::string(s.get("cdninfo.username"));
  cc.scheme = std::string(s.get("cdninfo.scheme"));
  cc.path = std::string(s.get("cdninfo.path"));
  std::uint64_t port = 0;
  if (!parseUint(s.get("cdninfo.port"), 1, 65535, &port)) {
    *error = "cdninfo.port must be 1..65535";
    return false;
  }
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
  const std::string inlinePassword(s.get("cdninfo.passwd"));
  const std::string passwordFile(s.get("cdninfo.passwd_file"));
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
  for (const std::string& text : s.all("cache.url")) {
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
  pc.method = std::string(s.get("purge.method"));
  pc.dirMethod = std::string(s.get("purge.dir_method"));
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
  api.url = std::string(s.get("api.url"));
  std::string why;
  if (api.url.empty()) {
    *error = "api.url is required by the json-api provider";
    return false;
  }
  if (!parseHttpUrl(api.url, &why)) {
    *error = "api.url \"" + api.url + "\": " + why;
    return false;
  }
  std::uint64_t batch = 0;
  if (!parseUint(s.get("api.batch_size"), 1, 1000000, &batch)) {
    *error = "api.batch_size must be 1..1000000";
    return false;
  }
  api.batchSize = static_cast<std::size_t>(batch);
  api.urlsField = std::string(s.get("api.urls_field"));
  api.dirsField = std::string(s.get("api.dirs_field"));
  if (api.urlsField.empty() || api.dirsField.empty() || api.urlsField == api.dirsField) {
    *error = "api.urls_field and api.dirs_field must be two different, non-empty names";
    return false;
  }
  const std::string tokenFile(s.get("api.token_file"));
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
  const Settings s(settings, count);
  bool useRegex = false;
  if (!parseBool(s.get("regexurl.regex"), &useRegex)) {
    *error = "regexurl.regex must be true or false";
    return false;
  }
  const std::string_view base = s.get("sendurl.base");
  if (base.empty()) {
    *error = "sendurl.base is required: the URL the watched root is published under";
    return false;
  }
  std::optional<UrlRule> rule = makeUrlRule(base, useRegex, s.get("regexurl.match"), error);
  if (!rule) return false;
  config->rule = std::move(*rule);

  std::uint64_t n = 0;
  if (!parseUint(s.get("rate.per_second"), 0, 1000000, &n)) {
    *error = "rate.per_second must be 0..1000000";
    return false;
  }
  config->perSecond = static_cast<std::uint32_t>(n);
  if (!parseUint(s.get("http.timeout_ms"), 1, 3600000, &n)) {
    *error = "http.timeout_ms must be 1..3600000";
    return false;
  }
  config->http.timeoutMs = static_cast<long>(n);
  if (!parseUint(s.get("http.connect_timeout_ms"), 1, 3600000, &n)) {
    *error = "http.connect_timeout_ms must be 1..3600000";
    return false;
  }
  config->http.connectTimeoutMs = static_cast<long>(n);
  config->http.caFile = std::string(s.get("http.ca_file"));
  if (!parseBool(s.get("http.insecure"), &config->http.insecure)) {
    *error = "http.insecure must be true or false";
    return false;
  }

  const std::string_view provider = s.get("cdninfo.provider");
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
