// The synthetic event workload shared by the microbenchmarks: 1,000,000 events of a site being edited.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/coalesce/coalescer.hpp"
#include "core/config/config.hpp"
#include "core/filter/filter.hpp"

namespace fsrelay::bench {

constexpr std::size_t kEventCount = 1'000'000;
constexpr int kDirs = 200;
constexpr int kSubdirs = 10;

struct Event {
  bool move = false;
  ChangeKind kind = ChangeKind::Update;
  bool isDir = false;
  bool born = false;
  std::uint32_t path = 0;
  std::uint32_t to = 0;  // move only
};

// A site being edited: mostly files created and closed across many directories, some rewritten, some
// deleted or renamed, new directories, editor swap files that come and go, and paths the filter drops.
struct Workload {
  std::vector<std::string> paths;
  std::vector<Event> events;

  Workload() {
    std::mt19937_64 rng(42);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::vector<std::uint32_t> live;  // existing files
    std::uint64_t serial = 0;
    auto newPath = [&](std::string p) {
      paths.push_back(std::move(p));
      return static_cast<std::uint32_t>(paths.size() - 1);
    };
    auto dirName = [&] {
      return "site/d" + std::to_string(pick(kDirs)) + "/s" + std::to_string(pick(kSubdirs));
    };
    auto add = [&](ChangeKind kind, std::uint32_t path, bool isDir, bool born) {
      events.push_back(Event{false, kind, isDir, born, path, 0});
    };
    while (events.size() < kEventCount) {
      int r = static_cast<int>(pick(100));
      if (r < 45 || live.empty()) {  // create + close
        auto p = newPath(dirName() + "/file" + std::to_string(serial++) + ".html");
        add(ChangeKind::Write, p, false, true);
        add(ChangeKind::Settle, p, false, false);
        live.push_back(p);
      } else if (r < 65) {  // rewrite an existing file
        auto p = live[pick(live.size())];
        add(ChangeKind::Write, p, false, false);
        add(ChangeKind::Write, p, false, false);
        add(ChangeKind::Settle, p, false, false);
      } else if (r < 73) {  // delete
        std::size_t i = pick(live.size());
        add(ChangeKind::Delete, live[i], false, false);
        live[i] = live.back();
        live.pop_back();
      } else if (r < 81) {  // rename, often into another directory
        std::size_t i = pick(live.size());
        auto to = newPath(dirName() + "/renamed" + std::to_string(serial++) + ".html");
        events.push_back(Event{true, ChangeKind::Update, false, false, live[i], to});
        live[i] = to;
      } else if (r < 85) {  // a new directory
        add(ChangeKind::Update, newPath(dirName() + "/new" + std::to_string(serial++)), true, true);
      } else if (r < 93) {  // vim: swap file and its 4913 probe come and go
        auto dir = dirName();
        auto swap = newPath(dir + "/.page" + std::to_string(serial++) + ".html.swp");
        auto probe = newPath(dir + "/4913");
        add(ChangeKind::Write, swap, false, true);
        add(ChangeKind::Write, probe, false, true);
        add(ChangeKind::Settle, probe, false, false);
        add(ChangeKind::Delete, probe, false, false);
        add(ChangeKind::Delete, swap, false, false);
      } else if (r < 97) {  // excluded by a file rule
        auto p = newPath(dirName() + "/access" + std::to_string(serial++) + ".log.gz");
        add(ChangeKind::Write, p, false, true);
        add(ChangeKind::Settle, p, false, false);
      } else {  // excluded by an ancestor directory rule
        auto p = newPath(dirName() + "/.svn/pristine/" + std::to_string(serial++));
        add(ChangeKind::Write, p, false, true);
        add(ChangeKind::Settle, p, false, false);
      }
    }
    events.resize(kEventCount);
  }
};

inline const Workload& workload() {
  static const Workload w;
  return w;
}

inline Filter sampleFilter() {
  // sersync's sample rules, with the .svn rule written so that it excludes the directories.
  FilterConf conf;
  conf.enabled = true;
  int line = 1;
  for (const char* e : {R"((.*/)?\.svn/)", R"((.*)\.gz)", R"(^info/*)", R"(^static/*)"})
    conf.excludes.push_back(ExcludeRule{e, line++});
  std::string error;
  int errorLine = 0;
  return *Filter::build(conf, &error, &errorLine);
}

inline Coalescer::Options coalescerOptions() {
  static const TempNames temp = *TempNames::build(TuningConf{}.tempPatterns, nullptr);
  Coalescer::Options options;
  options.isTemp = [](std::string_view name) { return temp.isTemp(name); };
  return options;
}

inline std::string_view baseName(std::string_view p) {
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

}  // namespace fsrelay::bench
