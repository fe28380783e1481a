// A small blocking HTTP client over one libcurl easy handle (keeps connections alive between requests).
#pragma once

#include <string>

#include "cdn_format.hpp"

namespace fsrelay::refreshcdn {

struct HttpOptions {
  long timeoutMs = 10000;        // whole request
  long connectTimeoutMs = 5000;
  std::string caFile;            // "" = the system's CA bundle
  bool insecure = false;         // skip TLS certificate and host name checks
  std::string userAgent;
};

struct HttpResponse {
  bool transportError = false;   // no HTTP status: DNS, connect, TLS, timeout, ...
  std::string error;             // libcurl's reason when transportError (never holds the request URL)
  long status = 0;
  std::string bodyHead;          // the first bytes of the reply body
};

// Once per process, from the host's main thread (plugin create()): libcurl's global setup is not safe to
// run concurrently. Never undone: other plugins in the same process may use libcurl too.
bool initCurlOnce(std::string* error);

class CurlClient {
 public:
  explicit CurlClient(HttpOptions options);
  ~CurlClient();
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  // Blocks until the reply or the timeout. Never throws for network problems; they come back in the response.
  HttpResponse send(const HttpRequest& request);

 private:
  HttpOptions options_;
  void* curl_ = nullptr;  // CURL*, kept out of the header so only curl_client.cpp sees libcurl
};

}  // namespace fsrelay::refreshcdn
