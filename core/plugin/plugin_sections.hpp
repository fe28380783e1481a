// Turns a <plugin name="..."> section of the config into the plugin instances to create (pure).
#pragma once

#include <string>
#include <vector>

#include <fsrelay/plugin.hpp>

#include "core/config/config.hpp"
#include "core/plugin/plugin_settings.hpp"

namespace fsrelay {

struct InstancePlan {
  std::string root;    // absolute watched root the instance serves
  std::string label;   // the instance element's url, ip, host, port and name values joined by ":" (a URL
                       // without credentials or query), "" without an instance element
  int line = 0;        // where it was configured (localpath, instance element, or the section)
  std::vector<SettingValue> values;
};

struct SectionPlan {
  std::vector<InstancePlan> instances;
  std::string error;   // empty on success
  int errorLine = 0;
};

// section may be null (a plugin named by -m without a section): one instance per default root with
// default settings. Keys are "ELEMENT.ATTRIBUTE" paths (see sdk/include/fsrelay/plugin.hpp, ConfigKey).
SectionPlan planSection(const XmlNode* section, const sdk::PluginDescriptor& plugin,
                        const std::vector<std::string>& defaultRoots, const HostConf& head);

// The section's name as the file name of its plugin: lower case ("refreshCDN" -> "refreshcdn").
std::string pluginFileName(const std::string& sectionName);

}  // namespace fsrelay
