// CurlClient: HttpRequest -> libcurl easy handle -> HttpResponse.
#include "curl_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace fsrelay::refreshcdn {
namespace {

// Enough of a reply body to say why a request was refused; the rest is read and dropped.
constexpr std::size_t kBodyHeadBytes = 512;

std::size_t keepHead(char* data, std::size_t size, std::size_t count, void* user) {
  auto* head = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (head->size() < kBodyHeadBytes) head->append(data, std::min(n, kBodyHeadBytes - head->size()));
  return n;
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  bool add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr) return false;
    list = next;
    return true;
  }
};

}  // namespace

bool initCurlOnce(std::string* error) {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    *error = std::string("libcurl initialisation failed: ") + curl_easy_strerror(result);
    return false;
  }
  return true;
}

CurlClient::CurlClient(HttpOptions options) : options_(std::move(options)), curl_(curl_easy_init()) {
  if (curl_ == nullptr) throw std::runtime_error("curl_easy_init failed");
}

CurlClient::~CurlClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse CurlClient::send(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  // reset clears the options but keeps the connection cache, so keep-alive works across requests.
  curl_easy_reset(curl);
  HttpResponse response;
  char errorBuffer[CURL_ERROR_SIZE] = {0};
  HeaderList headers;
  for (const std::string& h : request.headers) headers.add(h);
  // curl would otherwise wait for "100 Continue" before sending a larger JSON body.
  if (!request.body.empty()) headers.add("Expect:");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // we run on the host's threads, not the main one
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // send the encoded path exactly: the cache keys on it
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.timeoutMs);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connectTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorBuffer);
  if (!options_.userAgent.empty()) curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.userAgent.c_str());
  if (!options_.caFile.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.caFile.c_str());
  if (options_.insecure) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (headers.list != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    }
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &keepHead);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.bodyHead);

  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    response.transportError = true;
    response.error = errorBuffer[0] != '\0' ? std::string(errorBuffer) : std::string(curl_easy_strerror(rc));
    while (!response.error.empty() && (response.error.back() == '\n' || response.error.back() == '\r')) {
      response.error.pop_back();
    }
    return response;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace fsrelay::refreshcdn
