// Finds plugin shared objects and loads them with Boost.DLL after checking their version stamp unloaded.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <fsrelay/plugin.hpp>
#include <boost/dll/shared_library.hpp>

namespace fsrelay {

struct LoadedPlugin {
  std::string path;
  // Declared before descriptor: the library must outlive everything that came from it.
  boost::dll::shared_library library;
  const sdk::PluginDescriptor* descriptor = nullptr;
};

struct StampInfo {
  bool hasEntry = false;  // fsrelay_plugin_api_v<host major> is exported
  int major = -1, minor = -1;
  std::string abiTag;
};

// Parses "fsrelay_stamp_v<major>_<minor>_abi_<tag>"; false when the name is not a stamp.
bool parseStamp(const std::string& symbol, StampInfo* out);

class PluginLoader {
 public:
  explicit PluginLoader(std::vector<std::string> searchDirs);

  // Name ("rsync", case-insensitive: "refreshCDN" finds fsrelay-refreshcdn.so) or a path containing "/". Returns nullptr and sets *error to one line naming the file.
  std::shared_ptr<LoadedPlugin> load(const std::string& nameOrPath, std::string* error);
  const std::vector<std::string>& searchDirs() const { return dirs_; }
  // Every fsrelay-*.so in the search folders (the first of each name), for --list-plugins.
  std::vector<std::string> discover() const;
  // The default plugin folder of this installation: <dir of the binary>/../lib/fsrelay/plugins, or the
  // build tree's lib/fsrelay/plugins when run from a build directory.
  static std::vector<std::string> defaultDirs();

 private:
  std::string locate(const std::string& nameOrPath, std::string* error) const;
  std::vector<std::string> dirs_;
  std::vector<std::shared_ptr<LoadedPlugin>> loaded_;
};

}  // namespace fsrelay
