// The installed socket plugin driven directly (a fake host, batches by hand) against a real TCP receiver:
// connection reuse, dead-peer detection, Retry with a reason, the resend window after a reset.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sdk/include/fsrelay/plugin.hpp"
#include "tests/support/scenario.hpp"
#include "tests/support/socket_listener.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using sdk::Status;

fs::path socketPluginPath() {
  return fsrelayBinary().parent_path().parent_path() / "lib" / "fsrelay" / "plugins" / "fsrelay-socket.so";
}

class FakeHost final : public sdk::Host {
 public:
  void log(sdk::LogLevel, sdk::Bytes message) noexcept override {
    std::lock_guard lock(mutex_);
    logs_.emplace_back(message.data, message.size);
  }
  void spawn(const sdk::SpawnRequest&, sdk::SpawnResult* result) noexcept override { result->spawn_failed = 1; }
  void count(const char* name, std::int64_t delta) noexcept override {
    std::lock_guard lock(mutex_);
    counters_[name] += delta;
  }
  bool stopping() const noexcept override { return false; }
  bool aborting() const noexcept override { return false; }
  void snapshot(sdk::SnapshotKind, sdk::SnapshotSink sink, void* context) noexcept override {
    sink(context, sdk::Bytes{"{}", 2});
  }
  bool requestFullSync(sdk::Bytes, sdk::Bytes, char*, std::size_t) noexcept override { return false; }
  void spawnStreaming(const sdk::SpawnRequest&, sdk::OutputSink, void*, sdk::SpawnResult* result) noexcept override {
    result->spawn_failed = 1;
  }
  void progress(const sdk::Progress&) noexcept override {}

  std::int64_t counter(const std::string& name) {
    std::lock_guard lock(mutex_);
    return counters_[name];
  }
  std::string logText() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& l : logs_) out += l + "\n";
    return out;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::int64_t> counters_;
  std::vector<std::string> logs_;
};

class FakeReport final : public sdk::Report {
 public:
  explicit FakeReport(std::size_t n) : statuses(n, -1) {}
  void eventStatus(std::size_t index, Status status) noexcept override {
    if (index < statuses.size()) statuses[index] = static_cast<int>(status);
  }
  void message(sdk::Bytes text) noexcept override { message_.assign(text.data, text.size); }
  std::vector<int> statuses;
  std::string message_;
};

// The plugin library, loaded once per test with dlopen as the host would (Boost.DLL's alias is a
// pointer to the descriptor function).
class SocketPlugin {
 public:
  SocketPlugin() {
    const fs::path path = socketPluginPath();
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
    void* sym = ::dlsym(handle_, "fsrelay_plugin_api_v1");
    if (sym == nullptr) throw std::runtime_error("no fsrelay_plugin_api_v1 in " + path.string());
    descriptor_ = (*static_cast<sdk::DescriptorFn**>(sym))();
  }
  ~SocketPlugin() { ::dlclose(handle_); }
  const sdk::PluginDescriptor& descriptor() const { return *descriptor_; }

  // Settings as key/value pairs; the host would fill in defaults for missing keys, the plugin does too.
  sdk::Instance* create(FakeHost& host, const std::vector<std::pair<std::string, std::string>>& kv,
                        std::string* error, const std::string& root = "/srv/www") {
    std::vector<sdk::Setting> settings;
    for (const auto& [k, v] : kv) settings.push_back(sdk::Setting{k.c_str(), {v.data(), v.size()}});
    const std::string name = "socket " + root;
    char err[512] = {0};
    sdk::CreateArgs args{FSRELAY_SDK_API_MINOR, &host, settings.data(), settings.size(),
                         {name.data(), name.size()}, {root.data(), root.size()}, err, sizeof err};
    sdk::Instance* inst = descriptor_->create(&args);
    *error = err;
    return inst;
  }

 private:
  void* handle_ = nullptr;
  const sdk::PluginDescriptor* descriptor_ = nullptr;
};

struct Delivery {
  Status status;
  std::string message;
  std::vector<int> statuses;
};

Delivery deliverUpserts(sdk::Instance* inst, const std::vector<std::string>& paths, const std::string& root = "/srv/www") {
  std::vector<sdk::Event> events;
  for (const std::string& p : paths)
    events.push_back(sdk::Event{sdk::Op::Upsert, 0, {p.data(), p.size()}, {nullptr, 0}, 1700000000000000001});
  sdk::Batch batch{sdk::BatchKind::Changes, {root.data(), root.size()}, events.data(), events.size(), nullptr, 0, 1};
  FakeReport report(events.size());
  Status st = inst->deliver(batch, report);
  return {st, report.message_, report.statuses};
}

bool hasPath(const std::vector<std::string>& lines, const std::string& path) {
  const std::string needle = "\"path\":\"" + path + "\"";
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

struct InstanceGuard {
  sdk::Instance* inst;
  ~InstanceGuard() {
    if (inst) inst->destroy();
  }
};

std::vector<std::pair<std::string, std::string>> at(int port, std::string format = "jsonl") {
  return {{"deshost.ip", "127.0.0.1"}, {"deshost.port", std::to_string(port)}, {"deshost.format", format},
          {"deshost.connectTimeoutMs", "2000"}, {"deshost.writeTimeoutMs", "3000"}};
}

TEST(SocketInstance, descriptor_declares_deshost_instances_and_its_keys) {
  SocketPlugin plugin;
  const auto& d = plugin.descriptor();
  EXPECT_STREQ(d.name, "socket");
  ASSERT_NE(d.instance_element, nullptr);
  EXPECT_STREQ(d.instance_element, "deshost");
  std::map<std::string, std::string> keys;
  for (std::size_t i = 0; i < d.key_count; ++i) keys[d.keys[i].name] = d.keys[i].default_value ? d.keys[i].default_value : "(required)";
  EXPECT_EQ(keys["deshost.ip"], "127.0.0.1");
  EXPECT_EQ(keys["deshost.port"], "8009");
  EXPECT_EQ(keys["deshost.format"], "jsonl");
}

TEST(SocketInstance, bad_settings_are_refused_with_the_key_name) {
  SocketPlugin plugin;
  FakeHost host;
  std::string error;
  EXPECT_EQ(plugin.create(host, {{"deshost.port", "70000"}}, &error), nullptr);
  EXPECT_NE(error.find("deshost.port"), std::string::npos) << error;
  EXPECT_EQ(plugin.create(host, {{"deshost.format", "xml"}}, &error), nullptr);
  EXPECT_NE(error.find("deshost.format"), std::string::npos) << error;
  EXPECT_EQ(plugin.create(host, {{"deshost.ip", "a b"}}, &error), nullptr);
  EXPECT_NE(error.find("deshost.ip"), std::string::npos) << error;
}

TEST(SocketInstance, one_persistent_connection_and_increasing_seq) {
  SocketListener rx;
  SocketPlugin plugin;
  FakeHost host;
  std::string error;
  InstanceGuard g{plugin.create(host, at(rx.port()), &error)};
  ASSERT_NE(g.inst, nullptr) << error;

  for (int i = 0; i < 3; ++i) EXPECT_EQ(deliverUpserts(g.inst, {"f" + std::to_string(i)}).status, Status::Ok);
  ASSERT_TRUE(rx.waitLines([](const auto& l) { return l.size() >= 3; }, 5s));
  auto lines = rx.lines();
  EXPECT_EQ(rx.accepted(), 1u) << "jsonl reuses one connection";
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(lines[i].find("\"path\":\"f" + std::to_string(i) + "\""), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find("\"seq\":" + std::to_string(i + 1) + "}"), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find("\"root\":\"/srv/www\""), std::string::npos) << lines[i];
  }
  EXPECT_EQ(host.counter("socket_records_sent"), 3);
  EXPECT_EQ(host.counter("socket_connects"), 1);
}

TEST(SocketInstance, refused_connection_is_retry_with_endpoint_and_reason) {
  SocketListener rx;
  const int port = rx.port();
  rx.stop();
  SocketPlugin plugin;
  FakeHost host;
  std::string error;
  InstanceGuard g{plugin.create(host, at(port), &error)};
  ASSERT_NE(g.inst, nullptr) << error;
  Delivery d = deliverUpserts(g.inst, {"a"});
  EXPECT_EQ(d.status, Status::Retry);
  EXPECT_EQ(d.message, "127.0.0.1:" + std::to_string(port) + ": connect: connection refused");
  EXPECT_EQ(host.counter("socket_connect_failures"), 1);

  rx.start();
  EXPECT_EQ(deliverUpserts(g.inst, {"a"}).status, Status::Ok);
  EXPECT_TRUE(rx.waitLines([](const auto& l) { return hasPath(l, "a"); }, 5s));
}

TEST(SocketInstance, receiver_closing_the_idle_connection_is_detected_before_writing) {
  SocketListener rx;
  SocketPlugin plugin;
  FakeHost host;
  std::string error;
  InstanceGuard g{plugin.create(host, at(rx.port()), &error)};
  ASSERT_NE(g.inst, nullptr) << error;
  ASSERT_EQ(deliverUpserts(g.inst, {"before"}).status, Status::Ok);
  ASSERT_TRUE(rx.waitLines([](const auto& l) { return hasPath(l, "before"); }, 5s));

  // A receiver restart: the old connection is closed cleanly, the port listens again.
  rx.dropConnections();
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(deliverUpserts(g.inst, {"after"}).status, Status::Ok)
      << "the plugin must notice the closed connection and reconnect, not write into it";
  ASSERT_TRUE(rx.waitLines([](const auto& l) { return hasPath(l, "after"); }, 5s));
  EXPECT_EQ(rx.accepted(), 2u);
  EXPECT_EQ(host.counter("socket_peer_closed"), 1);
  EXPECT_EQ(host.counter("socket_records_resent"), 0) << "a clean close means everything was read";
  auto lines = rx.lines();
  EXPECT_EQ(lines.size(), 2u);
}

TEST(SocketInstance, reset_connection_resends_the_last_records_on_the_new_one) {
  SocketListener rx;
  SocketPlugin plugin;
  FakeHost host;
  std::string error;
  InstanceGuard g{plugin.create(host, at(rx.port()), &error)};
  ASSERT_NE(g.inst, nullptr) << error;
  ASSERT_EQ(deliverUpserts(g.inst, {"r1", "r2"}).status, Status::Ok);
  ASSERT_TRUE(rx.waitLines([](const auto& l) { return l.size() >= 2; }, 5s));

  // A crashed receiver: its kernel resets the connection. What we wrote last may be lost with it.
  rx.dropConnections(/*reset=*/true);
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(deliverUpserts(g.inst, {"r3"}).status, Status::Ok);
  ASSERT_TRUE(rx.waitLines([](const auto& l) { return hasPath(l, "r3"); }, 5s));
  auto lines = rx.lines();
  ASSERT_EQ(lines.size(), 5u) << "r1 r2, then r1 r2 again and r3 on the new connection";
  EXPECT_EQ(lines[2], lines[0]) << "resent records keep their seq, so a receiver can drop duplicates";
  EXPECT_EQ(lines[3], lines[1]);
  EXPECT_NE(lines[4].find("\"seq\":3}"), std::string::npos) << lines[4];
  EXPECT_EQ(host.counter("socket_peer_broken"), 1);
  EXPECT_EQ(host.counter("socket_records_resent"), 2);
}

TEST(SocketInstance, full_sync_is_a_sync_record) {
  SocketListener rx;
  SocketPlugin plugin;
  FakeHost host;
  std::string error;
  InstanceGuard g{plugin.create(host, at(rx.port()), &error)};
  ASSERT_NE(g.inst, nullptr) << error;
  const std::string root = "/srv/www";
  sdk::Batch batch{sdk::BatchKind::FullSync, {root.data(), root.size()}, nullptr, 0, nullptr, 0, 1};
  FakeReport report(0);
  ASSERT_EQ(g.inst->deliver(batch, report), Status::Ok);
  ASSERT_TRUE(rx.waitLines([](const auto& l) { return !l.empty(); }, 5s));
  EXPECT_EQ(rx.lines()[0].rfind("{\"op\":\"sync\",\"root\":\"/srv/www\",\"time\":", 0), 0u) << rx.lines()[0];
}

TEST(SocketInstance, large_batch_to_a_slow_reader_arrives_whole) {
  SocketListener rx;
  SocketPlugin plugin;
  FakeHost host;
  std::string error;
  InstanceGuard g{plugin.create(host, at(rx.port()), &error)};
  ASSERT_NE(g.inst, nullptr) << error;
  std::vector<std::string> paths;
  for (int i = 0; i < 20000; ++i) paths.push_back("dir/a-rather-long-file-name-to-fill-the-socket-buffers-" + std::to_string(i));
  ASSERT_EQ(deliverUpserts(g.inst, paths).status, Status::Ok);
  ASSERT_TRUE(rx.waitLines([](const auto& l) { return l.size() >= 20000; }, 10s));
  auto lines = rx.lines();
  EXPECT_NE(lines.back().find("\"seq\":20000}"), std::string::npos);
  EXPECT_EQ(host.counter("socket_records_sent"), 20000);
}

TEST(SocketInstance, sersync_format_one_connection_per_path_and_per_event_status) {
  SocketListener rx;
  SocketPlugin plugin;
  FakeHost host;
  std::string error;
  InstanceGuard g{plugin.create(host, at(rx.port(), "sersync"), &error)};
  ASSERT_NE(g.inst, nullptr) << error;
  Delivery d = deliverUpserts(g.inst, {"a.txt", "sub/b.txt"});
  EXPECT_EQ(d.status, Status::Ok);
  ASSERT_TRUE(rx.waitMessages([](const auto& m) { return m.size() >= 2; }, 5s));
  EXPECT_EQ(rx.messages(), (std::vector<std::string>{"/srv/www/a.txt", "/srv/www/sub/b.txt"}));
  EXPECT_EQ(rx.accepted(), 2u);

  rx.stop();
  d = deliverUpserts(g.inst, {"c", "d"});
  EXPECT_EQ(d.status, Status::Retry);
  EXPECT_EQ(d.statuses, (std::vector<int>{1, 1})) << "both events to retry";
  EXPECT_NE(d.message.find("connection refused"), std::string::npos) << d.message;

  // A full sync has no sersync-format equivalent: nothing is sent, and it is not an error.
  const std::string root = "/srv/www";
  sdk::Batch batch{sdk::BatchKind::FullSync, {root.data(), root.size()}, nullptr, 0, nullptr, 0, 1};
  FakeReport report(0);
  EXPECT_EQ(g.inst->deliver(batch, report), Status::Ok);
}

}  // namespace
}  // namespace fsrelay::test
