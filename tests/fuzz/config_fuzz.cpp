// libFuzzer target for the config loader: any bytes in, diagnostics out; never a crash, a hang or a leak.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/config/config.hpp"

namespace {

// A broken promise of the loader is a crash here, so libFuzzer saves the input that showed it.
void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "config_fuzz: loader contract broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Never throws for bad input (config.hpp): an escaping exception ends the fuzzer with the input saved.
  const fsrelay::LoadResult r = fsrelay::loadConfigText(text, "fuzz.xml");

  // Beyond "no crash": the loader's contract. A Config exactly when no diagnostic is an error; every
  // diagnostic names this file and a line that exists in it (0: the file as a whole).
  const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  bool anyError = false;
  for (const fsrelay::Diagnostic& d : r.diagnostics) {
    anyError = anyError || d.severity == fsrelay::Diagnostic::Severity::Error;
    check(d.file == "fuzz.xml", "a diagnostic names another file");
    check(d.line >= 0 && d.line <= lines, "a diagnostic names a line outside the file");
    check(!d.message.empty(), "a diagnostic without a message");
  }
  check(r.config.has_value() != anyError, "a Config was returned together with an error, or none without one");
  if (r.config) {
    const fsrelay::Config& c = *r.config;
    check(!c.localpaths.empty(), "a Config with nothing to watch");
    for (const fsrelay::LocalPathConf& lp : c.localpaths)
      check(!lp.watch.empty() && lp.watch.front() == '/', "a watch folder that is not absolute");
    check(c.host.port >= 1 && c.host.port <= 65535, "an endpoint port out of range");
    check(!c.rsync.port || (*c.rsync.port >= 1 && *c.rsync.port <= 65535), "an rsync port out of range");
    check(c.tuning.retryMaxMs >= c.tuning.retryInitialMs, "retry maxMs below initialMs");
    check(c.failLog.minutes >= 1 && c.crontab.minutes >= 1, "a schedule below one minute");
  }
  return 0;
}
