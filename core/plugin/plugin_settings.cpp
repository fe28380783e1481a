// Settings validation against a plugin's key table: unknown keys, missing required keys, types.
#include "core/plugin/plugin_settings.hpp"

#include <cstdlib>

namespace fsrelay {
namespace {

bool validType(sdk::KeyType type, const std::string& v) {
  if (type == sdk::KeyType::Int) {
    if (v.empty()) return true;  // "not set"
    char* end = nullptr;
    std::strtol(v.c_str(), &end, 10);
    return end && *end == '\0';
  }
  if (type == sdk::KeyType::Bool) return v == "true" || v == "false";
  return true;
}

}  // namespace

bool PluginSettings::build(const sdk::PluginDescriptor& plugin, const std::map<std::string, std::string>& values,
                           std::string* error) {
  keys_.clear();
  values_.clear();
  settings_.clear();
  for (const auto& [k, v] : values) {
    bool known = false;
    for (std::size_t i = 0; i < plugin.key_count; ++i) known = known || k == plugin.keys[i].name;
    if (!known) {
      *error = "plugin " + std::string(plugin.name) + " has no setting '" + k + "'";
      return false;
    }
  }
  keys_.reserve(plugin.key_count);
  values_.reserve(plugin.key_count);
  for (std::size_t i = 0; i < plugin.key_count; ++i) {
    const auto& key = plugin.keys[i];
    auto it = values.find(key.name);
    std::string v;
    if (it != values.end()) {
      v = it->second;
    } else if (key.default_value) {
      v = key.default_value;
    } else {
      *error = "plugin " + std::string(plugin.name) + " needs setting '" + key.name + "' (" + key.help + ")";
      return false;
    }
    if (!validType(key.type, v)) {
      *error = "plugin " + std::string(plugin.name) + " setting '" + key.name + "' has a bad value '" + v + "'";
      return false;
    }
    keys_.push_back(key.name);
    values_.push_back(std::move(v));
  }
  for (std::size_t i = 0; i < keys_.size(); ++i)
    settings_.push_back(sdk::Setting{keys_[i].c_str(), sdk::Bytes{values_[i].data(), values_[i].size()}});
  return true;
}

}  // namespace fsrelay
