// Pure URL helpers of the refreshcdn plugin: percent-encoding, URL building from paths, parsing, redaction.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

// C++17 on purpose: the plugin target only requires cxx_std_17.
namespace fsrelay::refreshcdn {

// Percent-encodes one path segment: RFC 3986 pchar (unreserved, sub-delims, ':' and '@') stays, every other
// byte (space, '%', '?', '#', '/', controls, bytes >= 0x80, ...) becomes %XX with upper-case hex. These are
// the bytes a browser sends as they are, so a cache keyed on the raw request line sees the same URL.
std::string encodeSegment(std::string_view segment);

// A relative path (bytes, '/'-separated) encoded segment by segment; the '/' separators stay.
std::string encodePath(std::string_view path);

// A query-string value: only unreserved bytes (A-Z a-z 0-9 - . _ ~) stay, everything else is %XX.
std::string encodeQueryValue(std::string_view value);

// An http(s) URL taken apart. Only what the plugin needs: no user info, no fragment.
struct HttpUrl {
  std::string scheme;     // "http" or "https", lower case
  std::string host;       // as written (an IPv6 literal keeps its brackets)
  std::string port;       // "" when not written
  std::string path;       // "" or starting with '/'
  std::string query;      // without the '?', "" when none

  // "scheme://host[:port]"
  std::string origin() const;
  // The Host header value: host, plus ":port" when a port is written and is not the scheme's default.
  std::string hostHeader() const;
};

// Parses "http[s]://host[:port][/path][?query]". Refuses user info, a fragment, an empty host, a port that is
// not 1..65535, and bytes a URL must not carry raw (controls, space, bytes >= 0x80).
std::optional<HttpUrl> parseHttpUrl(std::string_view text, std::string* error);

// How a changed path becomes the URL to purge (sersync's <sendurl base> and <regexurl regex match>).
struct UrlRule {
  std::string base;       // e.g. "http://pic.xoyo.com/cms"; no query or fragment
  bool useRegex = false;
  std::regex match;       // with useRegex: searched in the absolute path; group 1 is appended to base
};

// Builds the rule; refuses a base that does not parse, has a query, or (with useRegex) a regex that does not
// compile or has no capture group.
std::optional<UrlRule> makeUrlRule(std::string_view base, bool useRegex, std::string_view match,
                                   std::string* error);

// The URL for one changed path. Path mode: base, one '/', the encoded relative path ("." is the root: base
// itself). Regex mode (sersync): base followed directly by the encoded first capture group of the regex
// searched in the absolute path root + "/" + rel; nullopt when it does not match. A directory's URL ends
// in '/' (a prefix).
std::optional<std::string> buildUrl(const UrlRule& rule, std::string_view root, std::string_view rel, bool isDir);

// The URL standing for the whole root (a full sync): base as a directory prefix, ending in '/'.
std::string rootUrl(const UrlRule& rule);

// sersync's ChinaCache request, values URL-encoded:
// scheme://host:port + path + "?user=U&pswd=P&ok=ok&urls=URL" ("&dirs=URL" for a directory).
struct ChinaCacheEndpoint {
  std::string scheme = "http";
  std::string host;
  std::string port = "80";
  std::string path = "/index.jsp";
  std::string user;
  std::string password;
};
std::string chinacacheRequestUrl(const ChinaCacheEndpoint& endpoint, std::string_view url, bool isDir);

// A URL fit for a log line: user info dropped and any query replaced by "[redacted]" (it may hold a password).
std::string redactUrl(std::string_view url);

// text with every occurrence of each non-empty secret (as written and URL-encoded) replaced by "***":
// a last line of defence for messages that quote a server's reply.
std::string scrubSecrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace fsrelay::refreshcdn
