// Pure helpers of the http plugin's webhook: sersync's form body per event, URL encoding, URLs fit for logs.
#include "webhook_format.hpp"

#include <fsrelay/plugin_kit.hpp>

namespace fsrelay::http {
namespace {

using sdk::kit::view;

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// Length of "http://" or "https://" at the start of url, or 0.
std::size_t schemeLength(std::string_view url) {
  if (startsWithNoCase(url, "http://")) return 7;
  if (startsWithNoCase(url, "https://")) return 8;
  return 0;
}

}  // namespace

std::string formEncode(std::string_view bytes) { return sdk::kit::percentEncode(bytes, sdk::kit::unreserved); }

std::string absolutePath(std::string_view root, std::string_view rel) {
  std::string out(root);
  if (rel.empty() || rel == ".") return out;
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(rel);
  return out;
}

std::string formBody(std::string_view root, bool isDir, std::string_view absPath, std::uint32_t mask) {
  std::string body = "watchroot=" + formEncode(root);
  body += isDir ? "&isdir=1" : "&isdir=0";
  body += "&inotifyPath=" + formEncode(absPath);
  body += "&mask=" + std::to_string(mask);
  return body;
}

std::vector<WebhookPost> webhookPosts(std::string_view root, const sdk::Event& event) {
  const bool dir = event.is_dir != 0;
  const std::uint32_t dirBit = dir ? kInIsDir : 0;
  std::vector<WebhookPost> posts;
  auto add = [&](std::string_view rel, std::uint32_t mask) {
    WebhookPost post;
    post.path = absolutePath(root, rel);
    post.mask = mask;
    post.body = formBody(root, dir, post.path, mask);
    posts.push_back(std::move(post));
  };
  switch (event.op) {
    case sdk::Op::Upsert:
      add(view(event.path), dir ? (kInCreate | kInIsDir) : kInCloseWrite);
      break;
    case sdk::Op::Delete:
      add(view(event.path), kInDelete | dirBit);
      break;
    case sdk::Op::Move:
      // inotify's own order: the old name leaves, then the new one arrives.
      add(view(event.old_path), kInMovedFrom | dirBit);
      add(view(event.path), kInMovedTo | dirBit);
      break;
  }
  return posts;
}

WebhookPost fullSyncPost(std::string_view root) {
  WebhookPost post;
  post.path = std::string(root);
  post.mask = kInCreate | kInIsDir;
  post.body = formBody(root, true, post.path, post.mask);
  return post;
}

bool validWebhookUrl(std::string_view url, std::string* why) {
  const std::size_t scheme = schemeLength(url);
  if (scheme == 0) {
    *why = "must start with http:// or https://";
    return false;
  }
  for (char ch : url) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) {
      *why = "must not contain blanks or control characters (percent-encode them)";
      return false;
    }
  }
  const std::string_view rest = url.substr(scheme);
  const std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty() || authority.front() == ':') {
    *why = "has no host";
    return false;
  }
  return true;
}

std::string redactUrl(std::string_view url) {
  const std::size_t scheme = schemeLength(url);
  std::string_view rest = url.substr(scheme);
  const std::size_t cut = rest.find_first_of("?#");
  if (cut != std::string_view::npos) rest = rest.substr(0, cut);
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::size_t at = authority.rfind('@');
  std::string out(url.substr(0, scheme));
  if (at != std::string_view::npos) {
    out += "***@";
    out += rest.substr(at + 1);
  } else {
    out += rest;
  }
  return out;
}

}  // namespace fsrelay::http
