// Section → instances: flattens XML attributes into ELEMENT.ATTRIBUTE keys and splits by root and element.
#include "core/plugin/plugin_sections.hpp"

#include <cctype>
#include <cstring>

#include "core/config/config_checks.hpp"

namespace fsrelay {
namespace {

void flatten(const XmlNode& node, const std::string& prefix, std::vector<SettingValue>* out) {
  for (const auto& [name, value] : node.attributes) out->push_back({prefix + name, value, node.line});
  for (const auto& child : node.children) flatten(child, prefix + child.name + ".", out);
}

bool declares(const sdk::PluginDescriptor& plugin, const char* key) {
  for (std::size_t i = 0; i < plugin.key_count; ++i)
    if (std::strcmp(plugin.keys[i].name, key) == 0) return true;
  return false;
}

std::string attr(const XmlNode& node, const std::string& name) {
  for (const auto& [k, v] : node.attributes)
    if (k == name) return v;
  return "";
}

// A URL without its user:password@ and its query: names end up in logs, metrics and the status page.
std::string redactUrl(const std::string& v) {
  auto scheme = v.find("://");
  if (scheme == std::string::npos) return v;
  std::string out = v.substr(0, v.find_first_of("?#"));
  auto hostStart = scheme + 3;
  auto at = out.find('@', hostStart);
  auto slash = out.find('/', hostStart);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) out.erase(hostStart, at + 1 - hostStart);
  return out;
}

// What tells one instance element from another: its address attributes, in document order (the other
// attributes are tuning, and a name must not change when a timeout does).
std::string instanceLabel(const XmlNode& node) {
  std::string label;
  for (const auto& [name, value] : node.attributes) {
    if (name != "url" && name != "ip" && name != "host" && name != "port" && name != "name") continue;
    label += (label.empty() ? "" : ":") + redactUrl(value);
  }
  return label;
}

}  // namespace

std::string pluginFileName(const std::string& sectionName) {
  std::string out = sectionName;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

SectionPlan planSection(const XmlNode* section, const sdk::PluginDescriptor& plugin,
                        const std::vector<std::string>& defaultRoots, const HostConf& head) {
  SectionPlan plan;
  const std::string elem = plugin.instance_element ? plugin.instance_element : "";
  std::vector<SettingValue> common;
  std::vector<const XmlNode*> localpaths;
  bool hasHost = false;
  if (section) {
    for (const auto& child : section->children) {
      if (child.name == "localpath") {
        localpaths.push_back(&child);
        continue;
      }
      hasHost = hasHost || child.name == "host";
      flatten(child, child.name + ".", &common);
    }
  }
  // sersync's <head><host hostip port> is the http endpoint's address unless the section says otherwise.
  if (!hasHost) {
    if (declares(plugin, "host.hostip")) common.push_back({"host.hostip", head.ip, 0});
    if (declares(plugin, "host.port")) common.push_back({"host.port", std::to_string(head.port), 0});
  }
  const int sectionLine = section ? section->line : 0;

  if (localpaths.empty()) {
    for (const auto& root : defaultRoots) plan.instances.push_back({root, "", sectionLine, common});
    return plan;
  }
  for (const XmlNode* lp : localpaths) {
    std::string watch = attr(*lp, "watch");
    if (watch.empty()) {
      plan.error = "<localpath> in the " + (section ? section->name : std::string("plugin")) +
                   " section needs a watch=\"...\" folder";
      plan.errorLine = lp->line;
      return plan;
    }
    std::string root = config_detail::normalisePath(watch);
    if (auto bad = config_detail::checkWatchDir(root)) {
      plan.error = *bad;
      plan.errorLine = lp->line;
      return plan;
    }
    std::vector<SettingValue> shared = common;
    std::vector<const XmlNode*> instanceNodes;
    for (const auto& child : lp->children) {
      if (!elem.empty() && child.name == elem) {
        instanceNodes.push_back(&child);
        continue;
      }
      flatten(child, child.name + ".", &shared);
    }
    for (const auto& [name, value] : lp->attributes) {
      if (name == "watch") continue;
      plan.error = "<localpath> takes only watch=\"...\", not " + name;
      plan.errorLine = lp->line;
      return plan;
    }
    if (instanceNodes.empty()) {
      plan.instances.push_back({root, "", lp->line, shared});
      continue;
    }
    for (const XmlNode* node : instanceNodes) {
      InstancePlan inst{root, "", node->line, shared};
      flatten(*node, elem + ".", &inst.values);
      inst.label = instanceLabel(*node);
      plan.instances.push_back(std::move(inst));
    }
  }
  return plan;
}

}  // namespace fsrelay
