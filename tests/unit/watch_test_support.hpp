// Shared by the watcher unit tests: a sink that records its calls as short strings, and touch().
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/watch/watcher.hpp"

namespace fsrelay::test {

// "U:path", "W:path", "S:path", "D:path", "M:old>path", "overflow", "root-returned": the sink's calls in order.
class RecordingSink final : public WatchSink {
 public:
  void onChange(std::string_view rel, ChangeKind kind, bool isDir, bool born) override {
    const char* k = kind == ChangeKind::Update ? "U:" : kind == ChangeKind::Write ? "W:" : kind == ChangeKind::Settle ? "S:" : "D:";
    calls.push_back(k + std::string(rel));
    if (isDir) dirCalls.push_back(calls.back());
    if (born) bornCalls.push_back(calls.back());
  }
  void onMove(std::string_view from, std::string_view to, bool isDir) override {
    calls.push_back("M:" + std::string(from) + ">" + std::string(to));
    if (isDir) dirCalls.push_back(calls.back());
  }
  void onOverflow(bool rootReturned) override { calls.push_back(rootReturned ? "root-returned" : "overflow"); }

  bool saw(const std::string& call) const { return std::find(calls.begin(), calls.end(), call) != calls.end(); }
  bool sawDir(const std::string& call) const {
    return std::find(dirCalls.begin(), dirCalls.end(), call) != dirCalls.end();
  }
  bool sawBorn(const std::string& call) const {
    return std::find(bornCalls.begin(), bornCalls.end(), call) != bornCalls.end();
  }
  long indexOf(const std::string& call) const {
    auto it = std::find(calls.begin(), calls.end(), call);
    return it == calls.end() ? -1 : it - calls.begin();
  }
  // Any call naming a path that starts with prefix.
  bool sawUnder(const std::string& prefix) const {
    for (const auto& c : calls)
      if (c.find(":" + prefix) != std::string::npos || c.find(">" + prefix) != std::string::npos) return true;
    return false;
  }
  std::string all() const {
    std::string out;
    for (const auto& c : calls) out += c + " ";
    return out;
  }
  std::vector<std::string> calls;
  std::vector<std::string> dirCalls;
  std::vector<std::string> bornCalls;
};

inline void touch(const std::filesystem::path& p) { std::ofstream(p) << "x\n"; }

}  // namespace fsrelay::test
