// State-directory defaults: one per config file, so several instances never share a pid file.
#include "core/cli/state_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fsrelay {

std::string defaultStateDir(const std::string& configPath) {
  std::string abs = configPath;
  if (char* real = ::realpath(configPath.c_str(), nullptr)) {
    abs = real;
    std::free(real);
  } else if (abs.empty() || abs[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd)) abs = std::string(cwd) + "/" + configPath;
  }
  auto slash = abs.rfind('/');
  std::string dir = abs.substr(0, slash == 0 ? 1 : slash);
  std::string base = abs.substr(slash + 1);
  if (auto dot = base.rfind('.'); dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  if (::geteuid() == 0) {
    // /etc/a/confxml.xml and /etc/b/confxml.xml must not share a journal: the name carries a hash of the
    // config's full path (FNV-1a), the base name keeps it readable.
    std::uint32_t h = 2166136261u;
    for (unsigned char c : abs) h = (h ^ c) * 16777619u;
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", h);
    return "/var/lib/fsrelay/" + base + "-" + hex;
  }
  return dir + "/.fsrelay-" + base;
}

bool ensureDir(const std::string& dir, std::string* error) {
  for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      *error = "cannot create " + part + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

}  // namespace fsrelay
