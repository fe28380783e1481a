// Validates configured values against a plugin's declared keys and lays them out as sdk::Setting.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <fsrelay/plugin.hpp>

namespace fsrelay {

class PluginSettings {
 public:
  // values: key -> text. On a problem returns false with *error naming the key (the caller adds file:line).
  bool build(const sdk::PluginDescriptor& plugin, const std::map<std::string, std::string>& values, std::string* error);
  const sdk::Setting* data() const { return settings_.data(); }
  std::size_t size() const { return settings_.size(); }

 private:
  std::vector<std::string> keys_, values_;  // own the bytes the Setting views point at
  std::vector<sdk::Setting> settings_;
};

}  // namespace fsrelay
