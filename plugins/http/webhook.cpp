// sersync's webhook form: POSTs one application/x-www-form-urlencoded body per event through libcurl.
#include "webhook.hpp"

#include <curl/curl.h>

#include <chrono>
#include <mutex>

#include "webhook_format.hpp"

namespace fsrelay::http {
namespace {

std::size_t discardBody(char*, std::size_t size, std::size_t count, void*) { return size * count; }

// While the host shuts down it still flushes pending changes, so a POST is not cut at once; but one that
// hangs may not hold the shutdown for the whole timeout.
constexpr std::chrono::seconds kStoppingGrace{3};

struct Progress {
  sdk::Host* host;
  std::chrono::steady_clock::time_point start;
};

int abortWhenStopping(void* context, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const Progress* p = static_cast<const Progress*>(context);
  return p->host->stopping() && std::chrono::steady_clock::now() - p->start > kStoppingGrace ? 1 : 0;
}

}  // namespace

bool webhookGlobalInit(std::string* why) {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (code != CURLE_OK) {
    *why = std::string("libcurl initialisation failed: ") + curl_easy_strerror(code);
    return false;
  }
  return true;
}

Webhook::Webhook(WebhookOptions options, sdk::Host* host)
    : options_(std::move(options)), host_(host), redacted_(redactUrl(options_.url)) {}

Webhook::~Webhook() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_slist_free_all(static_cast<curl_slist*>(headers_));
}

Webhook::Result Webhook::post(std::string_view body) {
  Result result;
  if (curl_ == nullptr) {
    curl_ = curl_easy_init();
    if (curl_ == nullptr) {
      result.error = "webhook " + redacted_ + ": cannot create a libcurl handle";
      return result;
    }
  }
  if (headers_ == nullptr) {
    curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/x-www-form-urlencoded");
    curl_slist* both = h == nullptr ? nullptr : curl_slist_append(h, "Expect:");  // no 100-continue round trip
    if (both == nullptr) {
      curl_slist_free_all(h);
      result.error = "webhook " + redacted_ + ": out of memory for the request headers";
      return result;
    }
    headers_ = both;
  }
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);  // keeps the connection cache, drops the previous request's options
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  if (options_.port > 0) curl_easy_setopt(curl, CURLOPT_PORT, static_cast<long>(options_.port));
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for resolver timeouts
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(headers_));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "fsrelay-http/0.1.0");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connectTimeoutMs));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeoutMs));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &discardBody);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &abortWhenStopping);
  Progress progress{host_, std::chrono::steady_clock::now()};
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, static_cast<void*>(&progress));

  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    // curl_easy_strerror, not curl's error buffer: that may quote the url with its credentials.
    result.error = "webhook " + redacted_ + ": " + curl_easy_strerror(code);
    return result;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    result.error = "webhook " + redacted_ + ": HTTP " + std::to_string(status);
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace fsrelay::http
