// Test plugin "throwing": deliver() throws on a batch naming a path with "boom" in it, so the tests can check
// that the host contains it; every other batch is recorded to a file, one "op<TAB>path" line per event.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fsrelay/plugin.hpp>

namespace fsrelay::test_plugins {
namespace {

const sdk::ConfigKey kKeys[] = {
    {"record.file", sdk::KeyType::Path, nullptr,
     "delivered events are appended here; the host's metrics text is kept in <file>.metrics", 0},
    {"boom.times", sdk::KeyType::Int, "0",
     "0: throw on every delivery of a boom batch; N: only on the first N (then it goes through)", 0},
};

std::string_view view(sdk::Bytes b) { return b.data ? std::string_view(b.data, b.size) : std::string_view(); }

void writeAll(const std::string& path, const std::string& text, int flags) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
  if (fd < 0) return;
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

class ThrowingInstance final : public sdk::Instance {
 public:
  ThrowingInstance(sdk::Host* host, std::string file, long times) : host_(host), file_(std::move(file)), times_(times) {}

  // Deliberately not noexcept: throwing out of deliver() is what this plugin is for.
  sdk::Status deliver(const sdk::Batch& batch, sdk::Report&) override {
    std::string text;
    bool boom = false;
    if (batch.kind == sdk::BatchKind::FullSync) text = "full_sync\t" + std::string(view(batch.root)) + "\n";
    for (std::size_t i = 0; i < batch.event_count; ++i) {
      const sdk::Event& e = batch.events[i];
      const std::string_view path = view(e.path);
      boom = boom || path.find("boom") != std::string_view::npos;
      const char* op = e.op == sdk::Op::Upsert ? "upsert" : e.op == sdk::Op::Delete ? "delete" : "move";
      text += std::string(op) + "\t" + std::string(path) + "\n";
    }
    if (boom && (times_ == 0 || thrown_ < times_)) {
      ++thrown_;
      throw std::runtime_error("throwing test plugin: kaboom on batch " + std::to_string(batch.id) + " (throw " +
                               std::to_string(thrown_) + ")");
    }
    writeAll(file_, text, O_APPEND);
    // The host's counters as seen from a plugin, for the tests to check what the host counted.
    host_->snapshot(sdk::SnapshotKind::MetricsText, &ThrowingInstance::keepMetrics, this);
    return sdk::Status::Ok;
  }

  void destroy() noexcept override { delete this; }

 private:
  static void keepMetrics(void* self, sdk::Bytes data) {
    auto* me = static_cast<ThrowingInstance*>(self);
    writeAll(me->file_ + ".metrics.tmp", std::string(view(data)), O_TRUNC);
    std::rename((me->file_ + ".metrics.tmp").c_str(), (me->file_ + ".metrics").c_str());
  }

  sdk::Host* host_;
  std::string file_;
  long times_;
  long thrown_ = 0;
};

sdk::Instance* create(const sdk::CreateArgs* args) noexcept {
  try {
    std::string file;
    long times = 0;
    for (std::size_t i = 0; i < args->setting_count; ++i) {
      const std::string key = args->settings[i].key;
      const std::string value(view(args->settings[i].value));
      if (key == "record.file") file = value;
      if (key == "boom.times" && !value.empty()) times = std::strtol(value.c_str(), nullptr, 10);
    }
    if (!file.empty()) return new ThrowingInstance(args->host, file, times);
    std::snprintf(args->error, args->error_capacity, "record.file must not be empty");
  } catch (...) {
    std::snprintf(args->error, args->error_capacity, "throwing test plugin: out of memory");
  }
  return nullptr;
}

const sdk::PluginDescriptor kDescriptor = {
    FSRELAY_SDK_API_MAJOR, FSRELAY_SDK_API_MINOR, FSRELAY_SDK_ABI_TAG, "throwing", "0.0.1",
    "test plugin: throws on batches with \"boom\" paths, records the others",
    kKeys, sizeof kKeys / sizeof kKeys[0], &create, nullptr,
};

}  // namespace

const sdk::PluginDescriptor* throwingDescriptor() { return &kDescriptor; }

}  // namespace fsrelay::test_plugins

FSRELAY_PLUGIN(fsrelay::test_plugins::throwingDescriptor)
