// The installed daemon's http plugin in sersync's webhook form: a form POST per event to a local receiver,
// exact fields for hostile names, one instance per deshost, and no change lost while a receiver is down.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_peers.hpp"
#include "tests/support/scenario.hpp"

namespace fsrelay::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The receiver's view of the encoding: every byte but ALPHA DIGIT - . _ ~ as %XX (written independently of
// the plugin's code, to check its wire format).
std::string encoded(const std::string& bytes) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string deshost(int receiverPort) {
  return "        <deshost url=\"http://127.0.0.1:" + std::to_string(receiverPort) +
         "/hook\" connect_timeout_ms=\"1000\" timeout_ms=\"3000\"/>\n";
}

std::string webhookSection(const fs::path& root, const std::vector<int>& receiverPorts, int endpointPort) {
  std::string s = "<plugin name=\"http\">\n      <host hostip=\"127.0.0.1\" port=\"" + std::to_string(endpointPort) +
                  "\"/>\n      <events heartbeat_s=\"1\"/>\n      <localpath watch=\"" + xmlEscape(root.string()) +
                  "\">\n";
  for (int port : receiverPorts) s += deshost(port);
  return s + "      </localpath>\n    </plugin>";
}

TEST(HttpWebhook, posts_sersyncs_form_for_hostile_names) {
  Scenario s;
  WebhookReceiver receiver;
  s.config.pluginSection(webhookSection(s.src, {receiver.port()}, probeFreePort()));
  s.startRelay({"-m", "http"});
  ASSERT_TRUE(s.ready());

  const std::string name = "we ird&mask=1\n$(x)`y`%41+\xff.txt";
  writeFile(bytesPath(s.src, name), "content\n");
  const std::string path = s.src.string() + "/" + name;
  const WebhookReceiver::Post p = receiver.waitFor(path, 10s);
  ASSERT_EQ(p.inotifyPath, path) << "no POST for the file";
  EXPECT_EQ(p.contentType, "application/x-www-form-urlencoded");
  EXPECT_EQ(p.body, "watchroot=" + encoded(s.src.string()) + "&isdir=0&inotifyPath=" + encoded(path) + "&mask=8");
  EXPECT_EQ(p.watchroot, s.src.string());
  EXPECT_EQ(p.isdir, "0");
  EXPECT_EQ(p.mask, "8");  // IN_CLOSE_WRITE

  fs::create_directory(s.src / "dir");
  const WebhookReceiver::Post dir = receiver.waitFor(s.src.string() + "/dir", 10s);
  EXPECT_EQ(dir.isdir, "1");
  EXPECT_EQ(dir.mask, std::to_string(0x100 | 0x40000000));  // IN_CREATE | IN_ISDIR

  fs::rename(bytesPath(s.src, name), s.src / "dir/moved");
  EXPECT_EQ(receiver.waitFor(s.src.string() + "/dir/moved", 10s, "128").isdir, "0");  // IN_MOVED_TO
  EXPECT_EQ(receiver.waitFor(path, 10s, "64").inotifyPath, path) << "no IN_MOVED_FROM for the old name";

  fs::remove(s.src / "dir/moved");
  EXPECT_EQ(receiver.waitFor(s.src.string() + "/dir/moved", 10s, "512").isdir, "0") << "no IN_DELETE";
  EXPECT_TRUE(s.terminatesCleanly(15s));
}

TEST(HttpWebhook, each_deshost_gets_every_change_and_events_show_it_once) {
  Scenario s;
  WebhookReceiver first;
  WebhookReceiver second;
  const int endpointPort = probeFreePort();
  s.config.pluginSection(webhookSection(s.src, {first.port(), second.port()}, endpointPort));
  s.startRelay({"-m", "http"});
  ASSERT_TRUE(s.ready());
  EventStream events(endpointPort);
  ASSERT_TRUE(events.waitFor(": fsrelay events", 5s));

  writeFile(s.src / "both", "x\n");
  const std::string path = s.src.string() + "/both";
  EXPECT_EQ(first.waitFor(path, 10s).mask, "8");
  EXPECT_EQ(second.waitFor(path, 10s).mask, "8");
  ASSERT_TRUE(events.waitFor("\"path\":\"both\"", 5s));
  writeFile(s.src / "marker", "x\n");  // everything before it has been streamed once it shows
  ASSERT_TRUE(events.waitFor("\"path\":\"marker\"", 5s));
  EXPECT_EQ(events.count("\"path\":\"both\""), 1u) << events.text();
  EXPECT_TRUE(s.terminatesCleanly(15s));
}

TEST(HttpWebhook, receiver_down_then_up_loses_nothing) {
  Scenario s;
  const int receiverPort = probeFreePort();  // nothing listens there yet
  const int endpointPort = probeFreePort();
  s.config.pluginSection(webhookSection(s.src, {receiverPort}, endpointPort)).retry(40, 100, 300);
  s.startRelay({"-m", "http"});
  ASSERT_TRUE(s.ready());
  EventStream events(endpointPort);
  ASSERT_TRUE(events.waitFor(": fsrelay events", 5s));

  for (int i = 0; i < 3; ++i) writeFile(s.src / ("while-down-" + std::to_string(i)), "x\n");
  ASSERT_TRUE(s.relay().waitForLine("Couldn't connect to server", 10s)) << s.relay().outputTail(20);
  std::this_thread::sleep_for(500ms);  // a few retries

  WebhookReceiver receiver(receiverPort);
  for (int i = 0; i < 3; ++i) {
    const std::string path = s.src.string() + "/while-down-" + std::to_string(i);
    EXPECT_EQ(receiver.waitFor(path, 10s).inotifyPath, path) << "lost while the receiver was down";
  }
  // And changes after the outage flow as usual.
  writeFile(s.src / "after", "x\n");
  EXPECT_EQ(receiver.waitFor(s.src.string() + "/after", 10s).mask, "8");
  // The host retried the batch several times; the event stream showed each change once.
  ASSERT_TRUE(events.waitFor("\"path\":\"after\"", 5s));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(events.count("\"path\":\"while-down-" + std::to_string(i) + "\""), 1u) << events.text();
  }
  EXPECT_TRUE(s.terminatesCleanly(15s));
}

}  // namespace
}  // namespace fsrelay::test
