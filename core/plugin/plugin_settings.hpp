// Validates configured values against a plugin's declared keys and lays them out as sdk::Setting.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fsrelay/plugin.hpp>

namespace fsrelay {

// One configured value: a key, its text, and the config line it came from (0: not from the file).
struct SettingValue {
  std::string key;
  std::string value;
  int line = 0;
};

class PluginSettings {
 public:
  // On a problem returns false with *error naming the key and *errorLine its line (when known).
  // A key may occur several times only when the plugin declared it repeated.
  bool build(const sdk::PluginDescriptor& plugin, const std::vector<SettingValue>& values, std::string* error,
             int* errorLine = nullptr);
  // Convenience for values built by the host itself (one per key).
  bool build(const sdk::PluginDescriptor& plugin, const std::map<std::string, std::string>& values, std::string* error);
  const sdk::Setting* data() const { return settings_.data(); }
  std::size_t size() const { return settings_.size(); }

 private:
  std::vector<std::string> keys_, values_;  // own the bytes the Setting views point at
  std::vector<sdk::Setting> settings_;
};

}  // namespace fsrelay
