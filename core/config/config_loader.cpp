// Reads sersync 2.5's confxml.xml (every element) plus fsrelay's optional <fsrelay> element into Config.
#include <fcntl.h>
#include <sys/stat.h>
#include <tinyxml2.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config/attr_reader.hpp"
#include "core/config/config.hpp"
#include "core/config/config_checks.hpp"
#include "core/config/diagnostics.hpp"
#include "core/config/xml_copy.hpp"
#include "core/config/xml_errors.hpp"
#include "core/config/xml_limits.hpp"

namespace fsrelay {

namespace {

using config_detail::AttrReader;
using config_detail::DiagnosticSink;
using El = tinyxml2::XMLElement;

constexpr long long kIntMax = INT_MAX;
constexpr const char* kTrueFalse[] = {"false", "true"};

std::string lowerAscii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// How one child element is handled; `repeatable` children may appear any number of times, the others
// once (a repeat is ignored with a warning: sersync read only the first).
struct ChildRule {
  const char* name;
  bool repeatable;
  std::function<void(const El&)> handle;
};

class Loader {
 public:
  Loader(DiagnosticSink& sink, Config& cfg) : sink_(sink), cfg_(cfg) {}

  void document(const tinyxml2::XMLDocument& doc) {
    const El* root = doc.RootElement();
    if (root == nullptr) {
      sink_.error(0, "no root element; expected <head version=\"2.5\">");
      return;
    }
    if (std::strcmp(root->Name(), "head") != 0) {
      sink_.error(root->GetLineNum(), "root element is <" + config_detail::shortened(root->Name()) +
                                          ">; expected <head version=\"2.5\"> (sersync's confxml.xml format)");
      return;
    }
    for (const El* extra = root->NextSiblingElement(); extra != nullptr; extra = extra->NextSiblingElement())
      sink_.warning(extra->GetLineNum(),
                    "element <" + config_detail::shortened(extra->Name()) +
                        "> after the root element <head> is ignored");
    head(*root);
  }

 private:
  // Walks el's child elements: known ones go to their handler, unknown ones and repeats get a warning.
  void children(const El& el, std::initializer_list<ChildRule> rules) {
    std::vector<std::pair<std::string, int>> seen;  // single elements already handled, with their line
    for (const El* c = el.FirstChildElement(); c != nullptr; c = c->NextSiblingElement()) {
      const ChildRule* rule = nullptr;
      for (const ChildRule& r : rules)
        if (std::strcmp(r.name, c->Name()) == 0) rule = &r;
      const std::string where =
          "<" + config_detail::shortened(c->Name()) + "> in <" + config_detail::shortened(el.Name()) + ">";
      if (rule == nullptr) {
        std::string expected;
        for (const ChildRule& r : rules) expected += (expected.empty() ? "" : ", ") + std::string(r.name);
        sink_.warning(c->GetLineNum(), "unknown element " + where + " is ignored" +
                                           (expected.empty() ? " (it takes no child elements)"
                                                             : " (expected one of: " + expected + ")"));
        continue;
      }
      if (!rule->repeatable) {
        auto first = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == rule->name; });
        if (first != seen.end()) {
          sink_.warning(c->GetLineNum(), "duplicate " + where + " is ignored; the one at line " +
                                             std::to_string(first->second) + " applies");
          continue;
        }
        seen.emplace_back(rule->name, c->GetLineNum());
      }
      rule->handle(*c);
    }
  }

  void leaf(const El& el) { children(el, {}); }

  // A sersync boolean attribute whose absence keeps the default, with a warning since sersync's own files
  // always spell it out (a missing one is most likely a typo).
  // Returns false when the value is present but not a boolean (an error has been reported).
  bool flag(AttrReader& r, const char* name, bool& out) {
    if (!r.has(name)) {
      sink_.warning(r.line(),
                    r.element() + " has no " + name + " attribute; the default (" + kTrueFalse[out] + ") applies");
      return true;
    }
    std::optional<bool> b = r.boolean(name);
    if (b) out = *b;
    return b.has_value();
  }

  // The same for an integer attribute with a default.
  void number(AttrReader& r, const char* name, long long min, long long max, int& out) {
    if (!r.has(name)) {
      sink_.warning(r.line(),
                    r.element() + " has no " + name + " attribute; the default (" + std::to_string(out) + ") applies");
      return;
    }
    if (std::optional<int> n = r.integer(name, min, max)) out = *n;
  }

  // A string attribute with a default: absent warns and keeps it; present but blank is an error.
  std::optional<std::string> present(AttrReader& r, const char* name, const std::string& fallback) {
    if (!r.has(name)) {
      sink_.warning(r.line(), r.element() + " has no " + name + " attribute; the default (" + fallback + ") applies");
      return std::nullopt;
    }
    return r.required(name, "a value is needed");
  }

  // <delete start="true"/> and the other single-switch elements.
  void toggle(const El& el, bool& out) {
    AttrReader r(el, sink_, {"start"});
    flag(r, "start", out);
    leaf(el);
  }

  void head(const El& el) {
    AttrReader r(el, sink_, {"version"});
    std::optional<std::string> version = r.text("version");
    if (!version)
      sink_.warning(r.line(), "<head> has no version attribute; read as sersync 2.5 (version=\"2.5\")");
    else if (*version != "2.5")
      sink_.warning(r.line(), "version=\"" + config_detail::shortened(*version) +
                                  "\" on <head>; read as sersync 2.5 (version=\"2.5\")");

    int localpathElements = 0;
    int sersyncLine = 0;
    children(el, {
                     {"host", false, [&](const El& e) { host(e); }},
                     {"debug", false, [&](const El& e) { toggle(e, cfg_.debug); }},
                     {"fileSystem", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"xfs"});
                        flag(a, "xfs", cfg_.xfs);
                        leaf(e);
                      }},
                     {"filter", false, [&](const El& e) { filter(e); }},
                     {"inotify", false, [&](const El& e) { inotify(e); }},
                     {"sersync", false,
                      [&](const El& e) {
                        sersyncLine = e.GetLineNum();
                        sersync(e, localpathElements);
                      }},
                     {"plugin", true, [&](const El& e) { cfg_.pluginSections.push_back(config_detail::copyXml(e)); }},
                     {"fsrelay", false, [&](const El& e) { fsrelay(e); }},
                 });
    if (localpathElements == 0)
      sink_.error(sersyncLine != 0 ? sersyncLine : r.line(),
                  "no <sersync><localpath watch=\"...\"> element: there is nothing to watch");
  }

  void host(const El& el) {
    AttrReader r(el, sink_, {"hostip", "port"});
    if (std::optional<std::string> ip = present(r, "hostip", cfg_.host.ip)) cfg_.host.ip = *ip;
    number(r, "port", 1, 65535, cfg_.host.port);
    leaf(el);
  }

  void filter(const El& el) {
    AttrReader r(el, sink_, {"start"});
    // An unreadable start counts as on for checking the regexes, so no error hides behind another.
    const bool enabled = !flag(r, "start", cfg_.filter.enabled) || cfg_.filter.enabled;
    children(el, {{"exclude", true, [&](const El& e) {
                     AttrReader x(e, sink_, {"expression"});
                     leaf(e);
                     std::optional<std::string> expr = x.required("expression", "a regex for paths to exclude");
                     if (!expr) return;
                     if (std::optional<std::string> bad = config_detail::checkRegex(*expr, &regexStatesLeft_)) {
                       // A regex in a switched-off filter cannot hurt yet; say so without refusing the file.
                       if (enabled)
                         sink_.error(x.line(), "<exclude> " + *bad);
                       else
                         sink_.warning(x.line(), "<exclude> " + *bad + " (ignored while <filter start=\"false\">)");
                     }
                     cfg_.filter.excludes.push_back({*expr, x.line()});
                   }}});
  }

  void inotify(const El& el) {
    AttrReader r(el, sink_, {});
    InotifyToggles& t = cfg_.inotify;
    children(el, {
                     {"delete", false, [&](const El& e) { toggle(e, t.del); }},
                     {"createFolder", false, [&](const El& e) { toggle(e, t.createFolder); }},
                     {"createFile", false, [&](const El& e) { toggle(e, t.createFile); }},
                     {"closeWrite", false, [&](const El& e) { toggle(e, t.closeWrite); }},
                     {"moveFrom", false, [&](const El& e) { toggle(e, t.moveFrom); }},
                     {"moveTo", false, [&](const El& e) { toggle(e, t.moveTo); }},
                     {"attrib", false, [&](const El& e) { toggle(e, t.attrib); }},
                     {"modify", false, [&](const El& e) { toggle(e, t.modify); }},
                 });
  }

  void sersync(const El& el, int& localpathElements) {
    AttrReader r(el, sink_, {});
    children(el, {
                     {"localpath", true,
                      [&](const El& e) {
                        ++localpathElements;
                        localpath(e);
                      }},
                     {"rsync", false, [&](const El& e) { rsync(e); }},
                     {"failLog", false, [&](const El& e) { failLog(e); }},
                     {"crontab", false, [&](const El& e) { crontab(e); }},
                     {"plugin", true, [&](const El& e) { pluginRef(e); }},
                 });
  }

  void localpath(const El& el) {
    AttrReader r(el, sink_, {"watch"});
    LocalPathConf lp;
    lp.line = r.line();
    if (std::optional<std::string> watch = r.required("watch", "the folder to watch")) {
      lp.watch = config_detail::normalisePath(*watch);
      if (std::optional<std::string> bad = config_detail::checkWatchDir(lp.watch)) sink_.error(r.line(), *bad);
    }
    children(el, {{"remote", true, [&](const El& e) {
                     AttrReader x(e, sink_, {"ip", "name"});
                     RemoteConf rc;
                     rc.line = x.line();
                     std::optional<std::string> ip = x.required("ip", "the remote host");
                     std::optional<std::string> name =
                         x.required("name", "the rsync module, or the remote path with ssh");
                     leaf(e);
                     if (!ip || !name) return;
                     rc.ip = *ip;
                     rc.name = *name;
                     lp.remotes.push_back(std::move(rc));
                   }}});
    cfg_.localpaths.push_back(std::move(lp));
  }

  void rsync(const El& el) {
    AttrReader r(el, sink_, {});
    RsyncConf& rs = cfg_.rsync;
    children(el, {
                     {"commonParams", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"params"});
                        if (std::optional<std::string> p = a.text("params"))
                          rs.commonParams = *p;
                        else
                          sink_.warning(a.line(), "<commonParams> has no params attribute; the default (" +
                                                      rs.commonParams + ") applies");
                        leaf(e);
                      }},
                     {"auth", false, [&](const El& e) { auth(e); }},
                     {"userDefinedPort", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"start", "port"});
                        bool on = false;
                        flag(a, "start", on);
                        // Checked even when off, so switching it on later cannot surprise.
                        std::optional<int> port = a.integer("port", 1, 65535);
                        if (on && !a.has("port"))
                          sink_.error(a.line(), "<userDefinedPort start=\"true\"> has no port attribute");
                        if (on && port) rs.port = *port;
                        leaf(e);
                      }},
                     {"timeout", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"start", "time"});
                        bool on = false;
                        flag(a, "start", on);
                        std::optional<int> time = a.integer("time", 0, kIntMax);
                        if (on && !a.has("time"))
                          sink_.error(a.line(), "<timeout start=\"true\"> has no time attribute (seconds)");
                        if (on && time) rs.timeout = *time;
                        leaf(e);
                      }},
                     {"ssh", false, [&](const El& e) { toggle(e, rs.ssh); }},
                 });
  }

  void auth(const El& el) {
    AttrReader r(el, sink_, {"start", "users", "passwordfile"});
    RsyncConf& rs = cfg_.rsync;
    rs.authLine = r.line();
    flag(r, "start", rs.auth);
    leaf(el);
    if (!rs.auth) {
      // Kept as written (normalised) so a later switch-on needs no other edit; not checked while off.
      rs.users = r.text("users").value_or("");
      rs.passwordFile = config_detail::normalisePath(r.text("passwordfile").value_or(""));
      return;
    }
    if (std::optional<std::string> users = r.required("users", "the rsync user, needed with start=\"true\""))
      rs.users = *users;
    std::optional<std::string> file = r.required("passwordfile", "the rsync password file, needed with start=\"true\"");
    if (!file) return;
    rs.passwordFile = config_detail::normalisePath(*file);
    if (std::optional<std::string> bad = config_detail::checkPasswordFile(rs.passwordFile)) sink_.error(r.line(), *bad);
  }

  void failLog(const El& el) {
    AttrReader r(el, sink_, {"path", "timeToExecute"});
    FailLogConf& fl = cfg_.failLog;
    fl.line = r.line();
    if (std::optional<std::string> path = present(r, "path", fl.path)) fl.path = config_detail::normalisePath(*path);
    number(r, "timeToExecute", 1, kIntMax, fl.minutes);
    leaf(el);
  }

  void crontab(const El& el) {
    AttrReader r(el, sink_, {"start", "schedule"});
    CrontabConf& ct = cfg_.crontab;
    flag(r, "start", ct.enabled);
    number(r, "schedule", 1, kIntMax, ct.minutes);
    children(el, {{"crontabfilter", false, [&](const El& e) {
                     AttrReader f(e, sink_, {"start"});
                     flag(f, "start", ct.filterEnabled);
                     children(e, {{"exclude", true, [&](const El& x) {
                                     AttrReader g(x, sink_, {"expression"});
                                     leaf(x);
                                     // rsync globs, passed on as --exclude: nothing to compile here.
                                     if (std::optional<std::string> glob =
                                             g.required("expression", "an rsync glob to exclude"))
                                       ct.excludeGlobs.push_back(*glob);
                                   }}});
                   }}});
  }

  void pluginRef(const El& el) {
    AttrReader r(el, sink_, {"start", "name"});
    PluginRef& p = cfg_.plugins.emplace_back();
    p.line = r.line();
    flag(r, "start", p.enabled);
    if (p.enabled) {
      if (std::optional<std::string> name = r.required("name", "the plugin to run, needed with start=\"true\""))
        p.name = *name;
    } else {
      p.name = r.text("name").value_or("");
    }
    leaf(el);
  }

  // fsrelay's own settings. Every attribute is optional and silent when absent: defaults are documented.
  void fsrelay(const El& el) {
    AttrReader r(el, sink_, {});
    TuningConf& t = cfg_.tuning;
    auto dir = [&](const El& e, std::string& out) {
      AttrReader a(e, sink_, {"dir"});
      if (std::optional<std::string> d = a.required("dir", "a directory")) out = config_detail::normalisePath(*d);
      leaf(e);
    };
    auto opt = [&](AttrReader& a, const char* name, long long min, int& out) {
      if (std::optional<int> n = a.integer(name, min, kIntMax)) out = *n;
    };
    children(el, {
                     {"state", false, [&](const El& e) { dir(e, t.stateDir); }},
                     {"plugins", false,
                      [&](const El& e) {
                        dir(e, t.pluginDir);
                        if (t.pluginDir.empty()) return;
                        if (auto bad = config_detail::checkDir(t.pluginDir, "plugin folder")) sink_.error(e.GetLineNum(), *bad);
                      }},
                     {"retry", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"limit", "initialMs", "maxMs"});
                        opt(a, "limit", 1, t.retryLimit);
                        opt(a, "initialMs", 1, t.retryInitialMs);
                        opt(a, "maxMs", 1, t.retryMaxMs);
                        if (t.retryMaxMs < t.retryInitialMs)
                          sink_.error(a.line(), "<retry> maxMs (" + std::to_string(t.retryMaxMs) +
                                                    ") is less than initialMs (" + std::to_string(t.retryInitialMs) +
                                                    ")");
                        leaf(e);
                      }},
                     {"batching", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"tempHoldMs", "writeHoldMs", "maxPaths"});
                        opt(a, "tempHoldMs", 0, t.tempHoldMs);
                        opt(a, "writeHoldMs", 0, t.writeHoldMs);
                        opt(a, "maxPaths", 1, t.maxBatchPaths);
                        leaf(e);
                      }},
                     {"tempFiles", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {});
                        // Present means "this is the list": an empty <tempFiles/> turns temp-file holding off.
                        t.tempPatterns.clear();
                        t.tempPatternsSet = true;
                        children(e, {{"pattern", true, [&](const El& p) {
                                        AttrReader x(p, sink_, {"expression"});
                                        leaf(p);
                                        std::optional<std::string> expr =
                                            x.required("expression", "a regex for temp file names");
                                        if (!expr) return;
                                        if (std::optional<std::string> bad =
                                                config_detail::checkRegex(*expr, &regexStatesLeft_))
                                          sink_.error(x.line(), "<pattern> " + *bad);
                                        t.tempPatterns.push_back(*expr);
                                      }}});
                      }},
                     {"rsync", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"path", "fastHandshake", "transferTimeoutMs"});
                        if (std::optional<std::string> p = a.text("path")) t.rsyncPath = *p;
                        if (a.has("fastHandshake"))
                          if (std::optional<bool> b = a.boolean("fastHandshake")) t.fastHandshake = *b;
                        opt(a, "transferTimeoutMs", 0, t.transferTimeoutMs);
                        leaf(e);
                      }},
                     {"watcher", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"backend"});
                        t.watcherLine = a.line();
                        if (std::optional<std::string> b = a.text("backend")) {
                          if (*b == "auto") t.watcher = WatcherBackend::Auto;
                          else if (*b == "inotify") t.watcher = WatcherBackend::Inotify;
                          else if (*b == "fanotify") t.watcher = WatcherBackend::Fanotify;
                          else
                            sink_.error(a.line(), "backend=\"" + config_detail::shortened(*b) +
                                                      "\" on <watcher> is not a watcher backend (expected auto, "
                                                      "inotify or fanotify)");
                        }
                        leaf(e);
                      }},
                     {"shutdown", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"timeoutSeconds"});
                        opt(a, "timeoutSeconds", 1, t.shutdownSeconds);
                        leaf(e);
                      }},
                     {"watchLimit", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"action", "scanSeconds"});
                        if (std::optional<std::string> action = a.text("action")) {
                          std::string v = lowerAscii(*action);
                          if (v == "fail" || v == "scan")
                            t.watchLimitScan = v == "scan";
                          else
                            sink_.error(a.line(), "action=\"" + config_detail::shortened(*action) +
                                                      "\" on <watchLimit> is not one of fail, scan");
                        }
                        opt(a, "scanSeconds", 1, t.watchLimitScanSeconds);
                        leaf(e);
                      }},
                     {"log", false,
                      [&](const El& e) {
                        AttrReader a(e, sink_, {"level", "format"});
                        if (std::optional<std::string> format = a.text("format")) {
                          std::string f = lowerAscii(*format);
                          if (f == "text" || f == "json")
                            t.logFormat = f;
                          else
                            sink_.error(a.line(), "format=\"" + config_detail::shortened(*format) +
                                                      "\" on <log> is not one of text, json");
                        }
                        // <log format="json"/> alone keeps the default level; a bare <log/> is a mistake.
                        std::optional<std::string> level;
                        if (a.has("level") || !a.has("format")) level = a.required("level", "error, warn, info or debug");
                        if (level) {
                          std::string l = lowerAscii(*level);
                          if (l == "error" || l == "warn" || l == "info" || l == "debug")
                            t.logLevel = l;
                          else
                            sink_.error(a.line(), "level=\"" + config_detail::shortened(*level) +
                                                      "\" on <log> is not one of error, warn, info, debug");
                        }
                        leaf(e);
                      }},
                 });
  }

  DiagnosticSink& sink_;
  Config& cfg_;
  std::size_t regexStatesLeft_ = config_detail::kMaxConfigRegexStates;  // for all the expressions of the file
};

}  // namespace

LoadResult loadConfigText(const std::string& text, const std::string& path) {
  DiagnosticSink sink(path);
  LoadResult result;
  try {
    Config cfg;
    cfg.file = path;
    tinyxml2::XMLDocument doc;
    if (text.size() > config_detail::kMaxConfigBytes)
      sink.error(0, config_detail::tooLargeMessage());
    else if (std::optional<config_detail::TextProblem> bad = config_detail::checkAttributeCounts(text))
      sink.error(bad->line, bad->message);
    else if (doc.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS)
      sink.error(doc.ErrorLineNum(), config_detail::describeXmlError(doc));
    else
      Loader(sink, cfg).document(doc);
    if (!sink.hasErrors()) result.config = std::move(cfg);
  } catch (const std::exception& e) {
    // Only resource exhaustion gets here; the caller still gets a diagnostic rather than a crash.
    sink.error(0, std::string("internal error while reading the config: ") + e.what());
    result.config.reset();
  }
  result.diagnostics = sink.take();
  return result;
}

LoadResult loadConfig(const std::string& path) {
  auto failed = [&](const std::string& message) {
    LoadResult r;
    r.diagnostics.push_back({Diagnostic::Severity::Error, path, 0, message});
    return r;
  };
  // One open file, read up to one byte past the limit: no stat-then-read race, and /dev/zero or a huge log
  // given by mistake costs 1 MiB, not all memory. loadConfigText refuses what is over the limit.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failed(std::string("cannot open config file: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  try {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) return failed("cannot read config file: it is a directory");
    std::string text(config_detail::kMaxConfigBytes + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return failed(std::string("cannot read config file: ") + std::strerror(errno));
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    return loadConfigText(text, path);
  } catch (const std::exception& e) {
    return failed(std::string("cannot read config file: ") + e.what());
  }
}

}  // namespace fsrelay
