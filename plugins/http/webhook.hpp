// sersync's webhook form: POSTs one application/x-www-form-urlencoded body per event through libcurl.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <fsrelay/plugin.hpp>

namespace fsrelay::http {

struct WebhookOptions {
  std::string url;
  std::int64_t port = 0;              // 0: the url's; else overrides it (CURLOPT_PORT, sersync's port attribute)
  std::int64_t connectTimeoutMs = 5000;
  std::int64_t timeoutMs = 30000;
};

// One keep-alive connection to one receiver; used by one delivery thread at a time.
class Webhook {
 public:
  struct Result {
    bool ok = false;
    std::string error;  // why not (no secrets: the url is redacted)
  };

  // host: for stopping(), so a hanging POST does not hold up a shutdown for its whole timeout.
  Webhook(WebhookOptions options, sdk::Host* host);
  ~Webhook();
  Webhook(const Webhook&) = delete;
  Webhook& operator=(const Webhook&) = delete;

  // Sends body; ok only for a 2xx answer.
  Result post(std::string_view body);
  const std::string& redactedUrl() const { return redacted_; }

 private:
  WebhookOptions options_;
  sdk::Host* host_;
  std::string redacted_;
  void* curl_ = nullptr;     // CURL*, kept across posts for connection reuse
  void* headers_ = nullptr;  // curl_slist*, made with the handle and freed with it (not a static: the plugin
                             // may be unloaded, and its list would then leak)
};

// curl_global_init once per process, before any thread uses curl (create() runs on the host's main thread).
bool webhookGlobalInit(std::string* why);

}  // namespace fsrelay::http
