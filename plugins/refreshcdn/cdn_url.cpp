// Pure URL helpers of the refreshcdn plugin (standard library and fsrelay/plugin_kit.hpp; unit-tested directly).
#include "cdn_url.hpp"

#include <cstddef>

#include <fsrelay/plugin_kit.hpp>

namespace fsrelay::refreshcdn {
namespace {

using sdk::kit::percentEncode;

bool isPchar(unsigned char c) {
  if (sdk::kit::unreserved(c)) return true;
  switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';':
    case '=': case ':': case '@':
      return true;
    default:
      return false;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

std::string_view trimTrailingSlashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

void replaceAll(std::string& text, const std::string& needle, std::string_view with) {
  if (needle.empty()) return;
  for (std::size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + with.size())) {
    text.replace(pos, needle.size(), with);
  }
}

}  // namespace

std::string encodeSegment(std::string_view segment) { return percentEncode(segment, isPchar); }

std::string encodePath(std::string_view path) {
  return percentEncode(path, [](unsigned char c) { return c == '/' || isPchar(c); });
}

std::string encodeQueryValue(std::string_view value) { return percentEncode(value, sdk::kit::unreserved); }

std::string HttpUrl::origin() const { return scheme + "://" + host + (port.empty() ? "" : ":" + port); }

std::string HttpUrl::hostHeader() const {
  const bool defaultPort = port.empty() || (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
  return defaultPort ? host : host + ":" + port;
}

std::optional<HttpUrl> parseHttpUrl(std::string_view text, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<HttpUrl> {
    *error = why;
    return std::nullopt;
  };
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) {
      return fail("URL must be printable ASCII without spaces (percent-encode or punycode the rest)");
    }
  }
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) return fail("not an http:// or https:// URL");
  HttpUrl url;
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") return fail("scheme must be http or https");
  std::string_view rest = text.substr(sep + 3);
  if (rest.find('#') != std::string_view::npos) return fail("URL must not have a fragment (#)");
  const std::size_t authEnd = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authEnd);
  rest.remove_prefix(authEnd == std::string_view::npos ? rest.size() : authEnd);
  if (authority.find('@') != std::string_view::npos) return fail("URL must not carry user info (user@host)");
  std::string_view hostPart = authority;
  std::string_view portPart;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 literal");
    hostPart = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("bad authority");
      portPart = after.substr(1);
      if (portPart.empty()) return fail("empty port");
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    hostPart = authority.substr(0, colon);
    portPart = authority.substr(colon + 1);
    if (portPart.empty()) return fail("empty port");
  }
  if (hostPart.empty() || hostPart == "[]") return fail("URL has no host");
  if (!portPart.empty()) {
    long n = 0;
    for (char c : portPart) {
      if (c < '0' || c > '9' || n > 65535) return fail("port must be 1..65535");
      n = n * 10 + (c - '0');
    }
    if (n < 1 || n > 65535) return fail("port must be 1..65535");
  }
  url.host = std::string(hostPart);
  url.port = std::string(portPart);
  const std::size_t q = rest.find('?');
  url.path = std::string(rest.substr(0, q));
  if (q != std::string_view::npos) url.query = std::string(rest.substr(q + 1));
  return url;
}

std::optional<UrlRule> makeUrlRule(std::string_view base, bool useRegex, std::string_view match,
                                   std::string* error) {
  std::string why;
  const std::optional<HttpUrl> parsed = parseHttpUrl(base, &why);
  if (!parsed) {
    *error = "sendurl base \"" + std::string(base) + "\": " + why;
    return std::nullopt;
  }
  if (base.find('?') != std::string_view::npos) {
    *error = "sendurl base must not have a query (?)";
    return std::nullopt;
  }
  UrlRule rule;
  rule.base = std::string(base);
  rule.useRegex = useRegex;
  if (useRegex) {
    try {
      rule.match = std::regex(std::string(match), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      *error = "regexurl match \"" + std::string(match) + "\" does not compile: " + e.what();
      return std::nullopt;
    }
    if (rule.match.mark_count() < 1) {
      *error = "regexurl match \"" + std::string(match) + "\" needs a capture group: its group 1 is appended to base";
      return std::nullopt;
    }
  }
  return rule;
}

std::optional<std::string> buildUrl(const UrlRule& rule, std::string_view root, std::string_view rel, bool isDir) {
  std::string url;
  if (rule.useRegex) {
    std::string absolute(root);
    if (rel != ".") {
      absolute += '/';
      absolute += rel;
    }
    std::smatch m;
    if (!std::regex_search(absolute, m, rule.match)) return std::nullopt;
    url = rule.base + encodePath(m[1].matched ? m[1].str() : std::string());
  } else {
    url = std::string(trimTrailingSlashes(rule.base));
    if (rel != ".") {
      url += '/';
      url += encodePath(rel);
    } else {
      isDir = true;  // the root is a directory, whatever the event says
    }
  }
  if (isDir && (url.empty() || url.back() != '/')) url += '/';
  return url;
}

std::string rootUrl(const UrlRule& rule) { return std::string(trimTrailingSlashes(rule.base)) + "/"; }

std::string chinacacheRequestUrl(const ChinaCacheEndpoint& endpoint, std::string_view url, bool isDir) {
  std::string out = endpoint.scheme + "://" + endpoint.host + ":" + endpoint.port + endpoint.path;
  out += "?user=" + encodeQueryValue(endpoint.user);
  out += "&pswd=" + encodeQueryValue(endpoint.password);
  out += "&ok=ok";
  out += isDir ? "&dirs=" : "&urls=";
  out += encodeQueryValue(url);
  return out;
}

std::string redactUrl(std::string_view url) {
  std::string out;
  std::string_view rest = url;
  const std::size_t sep = rest.find("://");
  if (sep != std::string_view::npos) {
    out += rest.substr(0, sep + 3);
    rest.remove_prefix(sep + 3);
    const std::size_t authEnd = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authEnd);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    out += authority;
    rest.remove_prefix(authEnd == std::string_view::npos ? rest.size() : authEnd);
  }
  const std::size_t cut = rest.find_first_of("?#");
  out += rest.substr(0, cut);
  if (cut != std::string_view::npos && rest[cut] == '?') out += "?[redacted]";
  return out;
}

std::string scrubSecrets(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    replaceAll(text, secret, "***");
    replaceAll(text, encodeQueryValue(secret), "***");
  }
  return text;
}

}  // namespace fsrelay::refreshcdn
