// Settings validation against a plugin's key table: unknown keys, missing required keys, repeats, types.
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
  if (type == sdk::KeyType::Bool) return v == "true" || v == "false" || v.empty();
  return true;
}

const char* typeName(sdk::KeyType type) {
  switch (type) {
    case sdk::KeyType::Int: return "an integer";
    case sdk::KeyType::Bool: return "true or false";
    case sdk::KeyType::Path: return "a path";
    default: return "text";
  }
}

}  // namespace

bool PluginSettings::build(const sdk::PluginDescriptor& plugin, const std::vector<SettingValue>& values,
                           std::string* error, int* errorLine) {
  keys_.clear();
  values_.clear();
  settings_.clear();
  auto fail = [&](std::string msg, int line) {
    *error = std::move(msg);
    if (errorLine) *errorLine = line;
    return false;
  };
  const std::string name = plugin.name ? plugin.name : "?";
  std::vector<const SettingValue*> chosen;
  for (const auto& sv : values) {
    const sdk::ConfigKey* key = nullptr;
    for (std::size_t i = 0; i < plugin.key_count && !key; ++i)
      if (sv.key == plugin.keys[i].name) key = &plugin.keys[i];
    if (!key) {
      std::string known;
      for (std::size_t i = 0; i < plugin.key_count; ++i) known += (i ? ", " : "") + std::string(plugin.keys[i].name);
      return fail("plugin " + name + " has no setting '" + sv.key + "' (it takes: " + known + ")", sv.line);
    }
    if (!key->repeated)
      for (const auto* c : chosen)
        if (c->key == sv.key) return fail("plugin " + name + " takes '" + sv.key + "' once; it is set again here", sv.line);
    if (!validType(key->type, sv.value))
      return fail("plugin " + name + " setting '" + sv.key + "' must be " + typeName(key->type) + ", not '" + sv.value + "'",
                  sv.line);
    chosen.push_back(&sv);
  }
  // In the order of the key table; a repeated key's values in document order.
  for (std::size_t i = 0; i < plugin.key_count; ++i) {
    const auto& key = plugin.keys[i];
    bool found = false;
    for (const auto* c : chosen) {
      if (c->key != key.name) continue;
      found = true;
      keys_.push_back(key.name);
      values_.push_back(c->value);
    }
    if (found || key.repeated) continue;
    if (!key.default_value)
      return fail("plugin " + name + " needs setting '" + key.name + "' (" + (key.help ? key.help : "") + ")", 0);
    keys_.push_back(key.name);
    values_.push_back(key.default_value);
  }
  for (std::size_t i = 0; i < keys_.size(); ++i)
    settings_.push_back(sdk::Setting{keys_[i].c_str(), sdk::Bytes{values_[i].data(), values_[i].size()}});
  return true;
}

bool PluginSettings::build(const sdk::PluginDescriptor& plugin, const std::map<std::string, std::string>& values,
                           std::string* error) {
  std::vector<SettingValue> list;
  for (const auto& [k, v] : values) list.push_back({k, v, 0});
  return build(plugin, list, error);
}

}  // namespace fsrelay
