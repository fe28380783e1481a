// Plugin discovery and the version/ABI checks that run before any plugin code does.
#include "core/plugin/plugin_loader.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>
#include <boost/dll/library_info.hpp>
#include <boost/dll/runtime_symbol_info.hpp>

#include "core/log/log.hpp"
#include "core/util/version_info.hpp"

namespace fsrelay {
namespace {

bool isFile(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string hostVersion() {
  return log::cat(FSRELAY_SDK_API_MAJOR, ".", FSRELAY_SDK_API_MINOR, " (ABI ", FSRELAY_SDK_ABI_TAG, ")");
}

}  // namespace

bool parseStamp(const std::string& symbol, StampInfo* out) {
  static const std::string kPrefix = "fsrelay_stamp_v";
  if (symbol.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  int major = -1, minor = -1, consumed = 0;
  if (std::sscanf(symbol.c_str() + kPrefix.size(), "%d_%d_abi_%n", &major, &minor, &consumed) != 2 || consumed == 0)
    return false;
  out->major = major;
  out->minor = minor;
  out->abiTag = symbol.substr(kPrefix.size() + consumed);
  return true;
}

PluginLoader::PluginLoader(std::vector<std::string> searchDirs) : dirs_(std::move(searchDirs)) {}

std::vector<std::string> PluginLoader::discover() const {
  std::vector<std::string> out;
  std::set<std::string> names;
  for (const auto& dir : dirs_) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    std::vector<std::string> here;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 11 && n.compare(0, 8, "fsrelay-") == 0 && n.compare(n.size() - 3, 3, ".so") == 0) here.push_back(n);
    }
    ::closedir(d);
    std::sort(here.begin(), here.end());
    // The first folder that has a name wins, as in load().
    for (const auto& n : here)
      if (names.insert(n).second) out.push_back(dir + "/" + n);
  }
  return out;
}

std::vector<std::string> PluginLoader::defaultDirs() {
  std::vector<std::string> out;
  std::string exeDir = boost::dll::program_location().parent_path().string();
  // Installed: <prefix>/bin/fsrelay and <prefix>/<libdir>/fsrelay/plugins (libdir may be lib/<multiarch>).
  out.push_back(exeDir + "/../" FSRELAY_PLUGIN_RELDIR);
  if (std::string(FSRELAY_PLUGIN_RELDIR) != "lib/fsrelay/plugins") out.push_back(exeDir + "/../lib/fsrelay/plugins");
  out.push_back(exeDir + "/lib/fsrelay/plugins");  // the build tree
  return out;
}

std::string PluginLoader::locate(const std::string& nameOrPath, std::string* error) const {
  if (nameOrPath.find('/') != std::string::npos) {
    if (isFile(nameOrPath)) return nameOrPath;
    *error = "plugin file " + nameOrPath + " does not exist";
    return "";
  }
  std::string lower = nameOrPath;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string file = "fsrelay-" + lower + ".so";
  std::string tried;
  for (const auto& dir : dirs_) {
    std::string p = dir + "/" + file;
    if (isFile(p)) return p;
    tried += (tried.empty() ? "" : ", ") + dir;
  }
  *error = "plugin '" + nameOrPath + "' not found: no " + file + " in " + (tried.empty() ? "(no plugin folder)" : tried);
  return "";
}

std::shared_ptr<LoadedPlugin> PluginLoader::load(const std::string& nameOrPath, std::string* error) {
  std::string path = locate(nameOrPath, error);
  if (path.empty()) return nullptr;
  for (auto& p : loaded_)
    if (p->path == path) return p;

  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH))) {
    *error = log::cat("plugin ", path, " is writable by other users (mode ", std::oct, (st.st_mode & 07777),
                      "); refusing to load it (chmod go-w ", path, ")");
    return nullptr;
  }

  // Read the export table without loading: a plugin built for another API or ABI never runs.
  StampInfo stamp;
  try {
    boost::dll::library_info info(path);
    std::string entry = log::cat("fsrelay_plugin_api_v", FSRELAY_SDK_API_MAJOR);
    for (const auto& sym : info.symbols("boostdll")) {
      if (sym == entry) stamp.hasEntry = true;
      parseStamp(sym, &stamp);
    }
  } catch (const std::exception& e) {
    *error = "plugin " + path + " is not a readable shared object: " + e.what();
    return nullptr;
  }
  if (stamp.major < 0) {
    *error = "plugin " + path + " has no fsrelay version stamp (not built with the fsrelay SDK); host API is " + hostVersion();
    return nullptr;
  }
  std::string theirs = log::cat(stamp.major, ".", stamp.minor, " (ABI ", stamp.abiTag, ")");
  if (stamp.major != FSRELAY_SDK_API_MAJOR || !stamp.hasEntry) {
    *error = "plugin " + path + " was built for plugin API " + theirs + ", this fsrelay has API " + hostVersion() +
             ": major versions differ";
    return nullptr;
  }
  if (stamp.minor > FSRELAY_SDK_API_MINOR) {
    *error = "plugin " + path + " was built for plugin API " + theirs + ", newer than this fsrelay's " + hostVersion() +
             ": upgrade fsrelay";
    return nullptr;
  }
  if (stamp.abiTag != FSRELAY_SDK_ABI_TAG) {
    *error = "plugin " + path + " was built for ABI " + stamp.abiTag + ", this fsrelay has " + FSRELAY_SDK_ABI_TAG;
    return nullptr;
  }

  auto plugin = std::make_shared<LoadedPlugin>();
  plugin->path = path;
  try {
    plugin->library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    auto& fn = plugin->library.get_alias<sdk::DescriptorFn>(log::cat("fsrelay_plugin_api_v", FSRELAY_SDK_API_MAJOR));
    plugin->descriptor = fn();
  } catch (const std::exception& e) {
    *error = "plugin " + path + " could not be loaded: " + e.what();
    return nullptr;
  }
  const auto* d = plugin->descriptor;
  if (!d || d->api_major != FSRELAY_SDK_API_MAJOR || d->api_minor > FSRELAY_SDK_API_MINOR || !d->name || !d->create) {
    *error = "plugin " + path + " returned an invalid descriptor";
    return nullptr;
  }
  loaded_.push_back(plugin);
  return plugin;
}

}  // namespace fsrelay
