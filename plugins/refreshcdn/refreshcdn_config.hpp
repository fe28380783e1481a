// The refreshcdn plugin's configuration keys and their reading into a checked Config.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <fsrelay/plugin.hpp>

#include "cdn_format.hpp"
#include "cdn_url.hpp"
#include "curl_client.hpp"

namespace fsrelay::refreshcdn {

extern const sdk::ConfigKey kKeys[];
extern const std::size_t kKeyCount;

struct Config {
  UrlRule rule;
  ProviderConfig provider;
  HttpOptions http;
  std::uint32_t perSecond = 0;       // 0: no rate limit
  std::vector<std::string> secrets;  // password, token: scrubbed from every message, never logged
  std::string summary;               // one line for the startup log (no secrets)
};

// Checks every setting and reads the password or token file. All that needs no network happens here,
// once, at startup. Returns false with a reason naming the key.
bool readConfig(const sdk::Setting* settings, std::size_t count, Config* config, std::string* error);

}  // namespace fsrelay::refreshcdn
