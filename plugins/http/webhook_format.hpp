// Pure helpers of the http plugin's webhook: sersync's form body per event, URL encoding, URLs fit for logs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fsrelay/plugin.hpp>

namespace fsrelay::http {

// The inotify mask bits sersync's http plugin sent (decimal) in its `mask` field.
inline constexpr std::uint32_t kInCloseWrite = 0x00000008;
inline constexpr std::uint32_t kInMovedFrom = 0x00000040;
inline constexpr std::uint32_t kInMovedTo = 0x00000080;
inline constexpr std::uint32_t kInCreate = 0x00000100;
inline constexpr std::uint32_t kInDelete = 0x00000200;
inline constexpr std::uint32_t kInIsDir = 0x40000000;

// application/x-www-form-urlencoded value: every byte but ALPHA DIGIT - . _ ~ becomes %XX (uppercase hex),
// a space too (%20, which every form decoder reads, unlike a bare "+" that some path decoders keep).
// Bytes, not text: a non-UTF-8 file name arrives at the receiver byte for byte.
std::string formEncode(std::string_view bytes);

// root + "/" + rel; the root itself for rel ".".
std::string absolutePath(std::string_view root, std::string_view rel);

// `watchroot=<root>&isdir=0|1&inotifyPath=<abs path>&mask=<decimal>`, the field order sersync's source used.
std::string formBody(std::string_view root, bool isDir, std::string_view absPath, std::uint32_t mask);

// One POST of an event: its body, and the absolute path it names (for log lines).
struct WebhookPost {
  std::string body;
  std::string path;
  std::uint32_t mask = 0;
};

// The POSTs for one event, in the order sent: an Upsert is IN_CLOSE_WRITE (a directory IN_CREATE|IN_ISDIR),
// a Delete IN_DELETE (|IN_ISDIR), a Move IN_MOVED_FROM of old_path then IN_MOVED_TO of path (|IN_ISDIR).
std::vector<WebhookPost> webhookPosts(std::string_view root, const sdk::Event& event);

// The POST for a full sync when the deshost asks for one: the root itself, IN_CREATE|IN_ISDIR.
WebhookPost fullSyncPost(std::string_view root);

// Checks a deshost url: http:// or https://, a host, no blanks or control bytes.
bool validWebhookUrl(std::string_view url, std::string* why);

// The url without user:password@, query and fragment: what may appear in logs and status messages.
std::string redactUrl(std::string_view url);

}  // namespace fsrelay::http
