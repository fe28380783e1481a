// Pure helpers of the http plugin's endpoint: bind address, Host/Origin checks, bearer tokens, /sync arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fsrelay::http {

// sersync's <host hostip>: "localhost" and "" mean 127.0.0.1; "[::1]" means ::1.
std::string normalizeBindHost(std::string_view hostip);

// 127.0.0.0/8, ::1 (and localhost): only this machine can connect.
bool isLoopbackAddress(std::string_view host);

// The Host header of a request to a loopback-bound endpoint on port: a loopback name with that port
// (or none). Anything else is a DNS-rebinding attempt (a web page whose name now resolves to 127.0.0.1).
bool loopbackHostHeaderAllowed(std::string_view hostHeader, int port);

// A browser's Origin names the endpoint itself ("http://" + Host); absent (curl, scripts) is also fine.
bool sameOrigin(std::string_view origin, std::string_view hostHeader);

// "Bearer TOKEN" (scheme case-insensitive, blanks around TOKEN ignored) -> TOKEN; anything else -> nullopt.
std::optional<std::string> bearerToken(std::string_view authorization);

// Compares in time that depends only on b's length (b: what the client sent), never on where they differ.
bool constantTimeEqual(std::string_view secret, std::string_view given);

// The token in a token file: the content without surrounding blanks and line breaks. Refuses (nullopt,
// *why) a token shorter than 16 bytes or containing blanks or control bytes (it must fit a header).
std::optional<std::string> tokenFromFile(std::string_view content, std::string* why);

// POST /sync's arguments.
struct SyncArgs {
  std::string root;    // "" = every root
  std::string target;  // "" = every target; else a substring of the targets' names
};

// A JSON body {"root":"/srv","target":"t1"}: both members optional, strings or null; other members are
// an error (a typo must not silently widen the sync to every root).
std::optional<SyncArgs> parseSyncJson(std::string_view body, std::string* why);

}  // namespace fsrelay::http
