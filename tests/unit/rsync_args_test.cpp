// Unit tests of the rsync plugin's pure helpers: argv, payloads, exit-code verdicts. (Splitting params and
// rendering argv are the kit's: plugin_kit_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include <fsrelay/plugin.hpp>

#include "rsync/rsync_args.hpp"

namespace fsrelay::rsync {
namespace {

using sdk::Op;
using sdk::Status;
using Words = std::vector<std::string>;

sdk::Bytes b(const std::string& s) { return sdk::Bytes{s.data(), s.size()}; }

// Owns the strings an sdk::Event points at.
struct Events {
  std::deque<std::string> paths;  // stable addresses: events point into it
  std::vector<sdk::Event> events;
  Events& add(Op op, std::string path, bool isDir = false, std::string oldPath = "") {
    paths.push_back(std::move(path));
    const std::string& p = paths.back();
    sdk::Bytes old{nullptr, 0};
    if (op == Op::Move) {
      paths.push_back(std::move(oldPath));
      old = b(paths.back());
    }
    events.push_back(sdk::Event{op, static_cast<std::uint8_t>(isDir), b(p), old, 0});
    return *this;
  }
  ChangeList build(bool propagateDeletes = true) const {
    return buildChangeList(events.data(), events.size(), propagateDeletes);
  }
};

Words splitNul(const std::string& payload) {
  Words out;
  std::string cur;
  for (char c : payload) {
    if (c == '\0') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  EXPECT_TRUE(cur.empty()) << "payload must end with a NUL";
  return out;
}

Remote daemon() {
  Remote r;
  r.params = {"-artuz"};
  r.ip = "127.0.0.1";
  r.name = "www";
  r.user = "sync";
  r.passwordFile = "/etc/rsync.pass";
  return r;
}

// ---- params ----

TEST(RsyncArgs, remote_shell_detection) {
  EXPECT_FALSE(paramsSetRemoteShell({"-artuz", "--delete", "--exclude=e"}));
  EXPECT_TRUE(paramsSetRemoteShell({"-a", "-e", "ssh -i k"}));
  EXPECT_TRUE(paramsSetRemoteShell({"-avze", "ssh"}));
  EXPECT_TRUE(paramsSetRemoteShell({"--rsh=ssh -p 2"}));
  EXPECT_TRUE(paramsSetRemoteShell({"--rsh", "ssh"}));
  EXPECT_FALSE(paramsSetRemoteShell({"-f- e*"}));  // -f takes the rest of the word as its argument
  EXPECT_FALSE(paramsSetRemoteShell({"-Tdir-e"}));
}

TEST(RsyncArgs, rule_files_in_params_are_found) {
  EXPECT_EQ(ruleFileOption({"-artuz", "--exclude=*.tmp", "-f", "- *.log", "--filter=+ x", "-C"}), "");
  EXPECT_EQ(ruleFileOption({"-artuz", "--exclude-from=/etc/ex"}), "--exclude-from=/etc/ex");
  EXPECT_EQ(ruleFileOption({"--include-from", "/etc/in"}), "--include-from");
  EXPECT_EQ(ruleFileOption({"-avF"}), "-avF");
  EXPECT_EQ(ruleFileOption({"--filter=merge /etc/r"}), "--filter=merge /etc/r");
  EXPECT_EQ(ruleFileOption({"--filter", ": .rules"}), "--filter : .rules");
  EXPECT_EQ(ruleFileOption({"-f", "dir-merge .x"}), "-f");
  EXPECT_EQ(ruleFileOption({"-af. /etc/r"}), "-af. /etc/r");
  EXPECT_EQ(ruleFileOption({"-e", "ssh -F cfg"}), "");  // -F inside -e's value is ssh's
}

TEST(RsyncArgs, strip_delete_options) {
  const Words params{"-artuz", "--delete", "--del", "--delete-after", "--delete-excluded", "--delay-updates",
                     "--max-delete=5"};
  EXPECT_EQ(stripDeleteOptions(params, false), (Words{"-artuz", "--delay-updates", "--max-delete=5"}));
  EXPECT_EQ(stripDeleteOptions(params, true),
            (Words{"-artuz", "--delete-after", "--delete-excluded", "--delay-updates", "--max-delete=5"}));
}

// ---- targets ----

TEST(RsyncArgs, target_daemon_and_ssh) {
  Remote r = daemon();
  EXPECT_EQ(targetString(r), "sync@127.0.0.1::www/");
  r.user.clear();
  r.name = "www/sub/";
  EXPECT_EQ(targetString(r), "127.0.0.1::www/sub/");
  r.ssh = true;
  r.name = "/srv/www";
  r.user = "deploy";
  EXPECT_EQ(targetString(r), "deploy@127.0.0.1:/srv/www/");
  r.ip = "fd00::1";
  EXPECT_EQ(targetString(r), "deploy@[fd00::1]:/srv/www/");
  r.ip = "[fd00::1]";
  r.ssh = false;
  EXPECT_EQ(targetString(r), "deploy@[fd00::1]::/srv/www/");
}

// ---- Changes ----

TEST(RsyncArgs, changes_argv_daemon_defaults) {
  Events ev;
  ev.add(Op::Upsert, "a.txt");
  const ChangeList list = ev.build();
  EXPECT_EQ(changesArgv(daemon(), "/srv/www", list),
            (Words{"rsync", "-artz", "-q", "--protocol=29", "--no-r", "-d", "-I", "--force", "--from0", "--files-from=-",
                   "--delete-missing-args", "--sockopts=TCP_NODELAY", "--password-file=/etc/rsync.pass",
                   "/srv/www/", "sync@127.0.0.1::www/"}));
}

TEST(RsyncArgs, changes_argv_port_timeout_and_debug) {
  Remote r = daemon();
  r.port = 8730;
  r.timeoutS = 100;
  r.quiet = false;
  r.rsyncPath = "/opt/rsync/bin/rsync";
  const Words argv = changesArgv(r, "/srv/www/", Events().add(Op::Upsert, "x").build());
  EXPECT_EQ(argv, (Words{"/opt/rsync/bin/rsync", "-artz", "--protocol=29", "--no-r", "-d", "-I", "--force", "--from0",
                         "--files-from=-", "--delete-missing-args", "--sockopts=TCP_NODELAY", "--port=8730",
                         "--password-file=/etc/rsync.pass", "--timeout=100", "/srv/www/",
                         "sync@127.0.0.1::www/"}));
}

TEST(RsyncArgs, changes_argv_ssh) {
  Remote r = daemon();
  r.ssh = true;
  r.passwordFile.clear();
  r.name = "/srv/mirror";
  r.port = 2222;
  const ChangeList list = Events().add(Op::Upsert, "x").build();
  EXPECT_EQ(changesArgv(r, "/srv/www", list),
            (Words{"rsync", "-artz", "-q", "--no-r", "-d", "-I", "--force", "--from0", "--files-from=-",
                   "--delete-missing-args", "-e", "ssh -p 2222", "/srv/www/", "sync@127.0.0.1:/srv/mirror/"}));
  r.port.reset();
  r.params = {"-az", "-e", "ssh -i /k"};  // the user's remote shell is kept, ours left out
  EXPECT_EQ(changesArgv(r, "/srv/www", list),
            (Words{"rsync", "-az", "-e", "ssh -i /k", "-q", "--no-r", "-d", "-I", "--force", "--from0",
                   "--files-from=-", "--delete-missing-args", "/srv/www/", "sync@127.0.0.1:/srv/mirror/"}));
}

TEST(RsyncArgs, changes_argv_strips_user_delete_and_overrides_recursion) {
  Remote r = daemon();
  r.params = {"-artuz", "-R", "--delete", "--delete-after", "-r"};
  const Words argv = changesArgv(r, "/srv/www", Events().add(Op::Upsert, "x").build());
  const Words head(argv.begin(), argv.begin() + 7);
  EXPECT_EQ(head, (Words{"rsync", "-artz", "-R", "-r", "-q", "--protocol=29", "--no-r"}));
  for (const std::string& w : argv) {
    EXPECT_TRUE(w.rfind("--del", 0) != 0 || w == "--delete-missing-args") << w;
  }
}

TEST(RsyncArgs, delete_false_leaves_deletes_out) {
  Events ev;
  ev.add(Op::Upsert, "keep").add(Op::Delete, "gone").add(Op::Delete, "gone-dir", true);
  const ChangeList list = ev.build(false);
  EXPECT_EQ(splitNul(list.payload), (Words{"keep"}));
  EXPECT_EQ(list.pathCount, 1u);
  EXPECT_EQ(list.skippedDeletes, 2u);
  Remote r = daemon();
  r.propagateDeletes = false;
  const Words argv = changesArgv(r, "/srv/www", list);
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--ignore-missing-args"), argv.end());
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--delete-missing-args"), argv.end());
}

TEST(RsyncArgs, delete_true_lists_deletes) {
  Events ev;
  ev.add(Op::Upsert, "keep").add(Op::Delete, "gone").add(Op::Delete, "gone-dir", true);
  const ChangeList list = ev.build(true);
  EXPECT_EQ(splitNul(list.payload), (Words{"keep", "gone", "gone-dir"}));
  EXPECT_EQ(list.skippedDeletes, 0u);
}

TEST(RsyncArgs, move_lists_old_and_new_path) {
  const ChangeList list = Events().add(Op::Move, "new name", false, "old name").build();
  EXPECT_EQ(splitNul(list.payload), (Words{"old name", "new name"}));
  const ChangeList noDelete = Events().add(Op::Move, "new name", false, "old name").build(false);
  EXPECT_EQ(splitNul(noDelete.payload), (Words{"new name"}));
}

TEST(RsyncArgs, moved_directory_lists_old_and_new_without_recursion) {
  Events ev;
  ev.add(Op::Move, "b/dir2/", true, "a/dir1").add(Op::Upsert, "c", true);
  const ChangeList list = ev.build();
  EXPECT_EQ(splitNul(list.payload), (Words{"a/dir1", "b/dir2", "c"}));
  const Words argv = changesArgv(daemon(), "/srv/www", list);
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--no-r"), argv.end());
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "-r"), argv.end());
}

TEST(RsyncArgs, hostile_names_arrive_byte_exact) {
  const Words names{"sp ace",        "new\nline",     "$(touch PWNED)", "`id`", "-leading",  "--delete",
                    "bad\xff\xfeutf", "q\"uo'te",      "back\\slash",    "glob*?[x]", "tab\there", "trail ",
                    "\xe4\xb8\xad\xe6\x96\x87/x"};
  Events ev;
  for (const std::string& n : names) ev.add(Op::Upsert, n);
  const ChangeList list = ev.build();
  EXPECT_TRUE(list.rejected.empty());
  EXPECT_EQ(splitNul(list.payload), names);
  // Names travel on stdin only: argv is the same whatever the names are.
  EXPECT_EQ(changesArgv(daemon(), "/r", list),
            changesArgv(daemon(), "/r", Events().add(Op::Upsert, "x").build()));
}

TEST(RsyncArgs, unsafe_paths_are_rejected) {
  Events ev;
  ev.add(Op::Upsert, "/etc/passwd")
      .add(Op::Upsert, "../outside")
      .add(Op::Upsert, "a/../../b")
      .add(Op::Upsert, std::string("nul\0byte", 8))
      .add(Op::Upsert, "")
      .add(Op::Move, "fine", false, "../x")
      .add(Op::Upsert, "ok..name/..x/x..");
  const ChangeList list = ev.build();
  EXPECT_EQ(list.rejected, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(splitNul(list.payload), (Words{"ok..name/..x/x.."}));
}

TEST(RsyncArgs, trailing_slash_and_dot_prefix_are_normalized) {
  // With -d, "dir/" would send the directory's contents; a listed path names the entry itself.
  const ChangeList list = Events().add(Op::Upsert, "dir/", true).add(Op::Upsert, "./a//").build();
  EXPECT_EQ(splitNul(list.payload), (Words{"dir", "a"}));
}

TEST(RsyncArgs, root_upsert_limits_expansion_to_listed_names) {
  Events ev;
  ev.add(Op::Upsert, ".", true).add(Op::Upsert, "a*b/c").add(Op::Delete, "-gone").add(Op::Upsert, "a*b/d");
  const ChangeList list = ev.build();
  EXPECT_TRUE(list.rootListed);
  EXPECT_EQ(splitNul(list.payload), (Words{".", "a*b/c", "-gone", "a*b/d"}));
  EXPECT_EQ(list.rootRules, (Words{"--include=/-gone", "--include=/a\\*b", "--exclude=/*"}));
  const Words argv = changesArgv(daemon(), "/srv/www", list);
  const Words tail(argv.end() - 5, argv.end());
  EXPECT_EQ(tail, (Words{"--include=/-gone", "--include=/a\\*b", "--exclude=/*", "/srv/www/", "sync@127.0.0.1::www/"}));
}

TEST(RsyncArgs, root_upsert_alone_excludes_all_children) {
  const ChangeList list = Events().add(Op::Upsert, "./", true).build();
  EXPECT_EQ(splitNul(list.payload), (Words{"."}));
  EXPECT_EQ(list.rootRules, (Words{"--exclude=/*"}));
}

TEST(RsyncArgs, root_rules_dropped_above_limit) {
  Events ev;
  ev.add(Op::Upsert, ".");
  for (std::size_t i = 0; i <= kMaxRootRules; ++i) ev.add(Op::Upsert, "f" + std::to_string(i));
  const ChangeList list = ev.build();
  EXPECT_TRUE(list.rootListed);
  EXPECT_TRUE(list.rootRules.empty());
}

TEST(RsyncArgs, root_delete_is_never_sent) {
  const ChangeList list = Events().add(Op::Delete, ".", true).add(Op::Delete, "x").build();
  EXPECT_EQ(splitNul(list.payload), (Words{"x"}));
  EXPECT_EQ(list.skippedDeletes, 1u);
  EXPECT_FALSE(list.rootListed);
}

// ---- FullSync ----

TEST(RsyncArgs, full_sync_with_progress_replaces_q_by_progress2_and_no_motd) {
  const auto argv = fullSyncArgv(daemon(), "/srv/www", true);
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "-q"), 0) << "-q silences --info=progress2";
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--info=progress2"), 1);
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--no-motd"), 1);
  auto rest = fullSyncArgv(daemon(), "/srv/www");
  rest.erase(std::find(rest.begin(), rest.end(), "-q"));
  auto withProgress = argv;
  withProgress.erase(std::find(withProgress.begin(), withProgress.end(), "--info=progress2"));
  withProgress.erase(std::find(withProgress.begin(), withProgress.end(), "--no-motd"));
  EXPECT_EQ(withProgress, rest) << "nothing else changes";
}

TEST(RsyncArgs, full_sync_argv) {
  EXPECT_EQ(fullSyncArgv(daemon(), "/srv/www"),
            (Words{"rsync", "-artz", "-q", "-r", "--delete", "--force", "--modify-window=-1",
                   "--sockopts=TCP_NODELAY", "--password-file=/etc/rsync.pass", "--from0", "--exclude-from=-",
                   "/srv/www/", "sync@127.0.0.1::www/"}));
  Remote r = daemon();
  r.propagateDeletes = false;
  r.params = {"-artuz", "--delete", "--delete-after"};
  EXPECT_EQ(fullSyncArgv(r, "/srv/www"),
            (Words{"rsync", "-artz", "-q", "-r", "--force", "--modify-window=-1", "--sockopts=TCP_NODELAY",
                   "--password-file=/etc/rsync.pass", "--from0", "--exclude-from=-", "/srv/www/",
                   "sync@127.0.0.1::www/"}));
  r.propagateDeletes = true;
  EXPECT_EQ(fullSyncArgv(r, "/srv/www")[2], "--delete-after");  // a refinement of our --delete, kept
  r.params = {"-artz", "--modify-window=2"};  // the user's window (a FAT target) wins
  auto argv = fullSyncArgv(r, "/srv/www");
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--modify-window=-1"), 0);
}

TEST(RsyncArgs, escape_filter_literal) {
  EXPECT_EQ(escapeFilterLiteral("plain name"), "plain name");
  EXPECT_EQ(escapeFilterLiteral("back\\slash"), "back\\slash");  // no wildcard: matched literally
  EXPECT_EQ(escapeFilterLiteral("a*b"), "a\\*b");
  EXPECT_EQ(escapeFilterLiteral("q?"), "q\\?");
  EXPECT_EQ(escapeFilterLiteral("[x]"), "\\[x]");
  EXPECT_EQ(escapeFilterLiteral("bs\\*"), "bs\\\\\\*");
}

TEST(RsyncArgs, exclude_payload_with_hostile_names) {
  const std::vector<std::string> patterns{"a*b",     "d/bs\\*",  "back\\slash", "nl\nname", "trail ",  "#hash",
                                          "+ plus",  "- minus",  "-dash",       "./x/",     ".",       "*.tmp",
                                          "#glob"};
  const std::vector<std::uint8_t> glob{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  const std::vector<std::uint8_t> dir{0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0};
  std::vector<sdk::Exclude> ex;
  for (std::size_t i = 0; i < patterns.size(); ++i) ex.push_back(sdk::Exclude{b(patterns[i]), glob[i], dir[i]});
  EXPECT_EQ(splitNul(excludePayload(ex.data(), ex.size())),
            (Words{"- /a\\*b", "- /d/bs\\\\\\*/", "- /back\\slash", "- /nl\nname", "- /trail ", "- /#hash",
                   "- /+ plus", "- /- minus", "- /-dash", "- /x/", "- *.tmp", "- #glob"}));
  EXPECT_EQ(excludePayload(nullptr, 0), "");
}

// ---- exit codes ----

TEST(RsyncArgs, exit_codes_map_to_status) {
  for (int code : {0, 24}) EXPECT_EQ(classifyExit(code, 0, false, false).status, Status::Ok) << code;
  for (int code : {5, 10, 11, 12, 20, 23, 30, 35, 255}) {
    EXPECT_EQ(classifyExit(code, 0, false, false).status, Status::Retry) << code;
  }
  for (int code : {1, 2, 3, 4, 6, 13, 14, 21, 22, 25, 99}) {
    EXPECT_EQ(classifyExit(code, 0, false, false).status, Status::Fail) << code;
  }
  EXPECT_EQ(classifyExit(-1, 9, false, false).status, Status::Retry);
  EXPECT_EQ(classifyExit(-1, 15, true, false).status, Status::Retry);
  EXPECT_EQ(classifyExit(-1, 0, false, true).status, Status::Retry);
  EXPECT_EQ(classifyExit(5, 0, false, false).meaning, "exit 5: error starting client-server protocol");
  EXPECT_EQ(classifyExit(-1, 9, false, false).meaning, "killed by signal 9");
  EXPECT_NE(classifyExit(-1, 15, true, false).meaning.find("timed out"), std::string::npos);
}

TEST(RsyncArgs, failure_message_names_target_code_and_last_lines) {
  const std::string out =
      "rsync: [sender] link_stat \"/r/x\" failed\n"
      "@ERROR: auth failed on module www\n"
      "rsync error: error starting client-server protocol (code 5) at main.c(1850) [sender=3.5.0]\n\n";
  const std::string msg = failureMessage("sync@127.0.0.1::www/", classifyExit(5, 0, false, false), out);
  EXPECT_EQ(msg,
            "rsync to sync@127.0.0.1::www/ failed: exit 5: error starting client-server protocol: "
            "@ERROR: auth failed on module www | rsync error: error starting client-server protocol (code 5) "
            "at main.c(1850) [sender=3.5.0]");
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_EQ(failureMessage("t::m/", classifyExit(10, 0, false, false), ""),
            "rsync to t::m/ failed: exit 10: error in socket I/O");
}

TEST(RsyncArgs, failure_message_keeps_the_cause_named_before_the_summary_lines) {
  // rsync 3.5.0 against a module on a full tmpfs (default protocol): the cause, then one summary per process.
  const std::string out =
      "rsync: [receiver] write failed on \"big\" (in m): No space left on device (28)\n"
      "rsync error: error in file IO (code 11) at receiver.c(657) [receiver=3.5.0]\n"
      "rsync error: error in file IO (code 11) at io.c(1892) [generator=3.5.0]\n";
  EXPECT_EQ(failureMessage("127.0.0.1::m/", classifyExit(11, 0, false, false), out),
            "rsync to 127.0.0.1::m/ failed: exit 11: error in file I/O: rsync: [receiver] write failed on \"big\" "
            "(in m): No space left on device (28) | rsync error: error in file IO (code 11) at io.c(1892) "
            "[generator=3.5.0]");
  // The same, when the sender also saw the connection reset: the first error is the cause.
  EXPECT_EQ(failureMessage("127.0.0.1::m/", classifyExit(11, 0, false, false),
                           out + "rsync: [sender] read error: Connection reset by peer (104)\n"),
            "rsync to 127.0.0.1::m/ failed: exit 11: error in file I/O: rsync: [receiver] write failed on \"big\" "
            "(in m): No space left on device (28) | rsync: [sender] read error: Connection reset by peer (104)");
}

TEST(RsyncArgs, output_tail_is_one_printable_line) {
  EXPECT_EQ(outputTail("a\r\nb\x01\xff\n", 5, 100), "a | b\\x01\\xFF");
  EXPECT_EQ(outputTail("\xe4\xb8\xad ok\n", 1, 100), "\xe4\xb8\xad ok");
  EXPECT_EQ(outputTail(std::string(1000, 'x') + "\nEND", 1, 10), "END");
  EXPECT_EQ(outputTail(std::string(1000, 'x') + "\nEND", 2, 10), "...xxxx | END");
  EXPECT_EQ(outputTail("", 3, 100), "");
}

TEST(RsyncArgs, update_option_is_stripped_from_bundles) {
  EXPECT_EQ(stripUpdateOption({"-artuz", "--update", "-u", "-v", "-eu", "--compress"}),
            (Words{"-artz", "-v", "-eu", "--compress"}));
}

TEST(RsyncArgs, changes_speak_protocol_29_unless_acls_or_xattrs_are_asked_for) {
  Remote r = daemon();
  const ChangeList list = Events().add(Op::Upsert, "x").build();
  Words argv = changesArgv(r, "/srv/www", list);
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--protocol=29"), argv.end());
  r.params = {"-artuzAX"};
  argv = changesArgv(r, "/srv/www", list);
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--protocol=29"), argv.end());
  r.params = {"-artz", "--xattrs"};
  EXPECT_TRUE(needsModernProtocol(r.params));
  EXPECT_FALSE(needsModernProtocol({"-artuz", "-e", "ssh -A"}));
  r.params = {"-artz"};
  r.fastHandshake = false;
  argv = changesArgv(r, "/srv/www", list);
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--protocol=29"), argv.end());
  // Batches that delete keep the default protocol (protocol 29 fails on a path whose parent is gone).
  argv = changesArgv(r, "/srv/www", Events().add(Op::Upsert, "x").add(Op::Delete, "gone/y").build());
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--protocol=29"), argv.end());
  // Full syncs keep the default protocol.
  r.fastHandshake = true;
  argv = fullSyncArgv(r, "/srv/www");
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--protocol=29"), argv.end());
}

TEST(RsyncArgs, a_protocol_29_run_that_ends_in_12_or_23_is_rerun_with_the_default_protocol) {
  // 12: the receiver failed (a full disk) and, under protocol 29, its side lingered 30 s first.
  EXPECT_TRUE(protocolFallback(12).rerunNow);
  EXPECT_TRUE(protocolFallback(12).defaultUntilOk);
  // 23: a path vanished with its parent, which fails under protocol 29 only.
  EXPECT_TRUE(protocolFallback(23).rerunNow);
  EXPECT_FALSE(protocolFallback(23).defaultUntilOk);
  // The same outcome under any protocol: rerunning at once would only repeat it.
  for (int code : {0, 5, 10, 11, 24, 30, 35, -1}) {
    EXPECT_FALSE(protocolFallback(code).rerunNow) << code;
    EXPECT_FALSE(protocolFallback(code).defaultUntilOk) << code;
  }
}

TEST(RsyncArgs, paths_below_a_symlink_or_file_are_left_out) {
  Events ev;
  ev.add(Op::Delete, "a/deep/er/f0.txt")
      .add(Op::Upsert, "a")  // now a symlink (or a file)
      .add(Op::Upsert, "a/x")
      .add(Op::Move, "a/in", false, "out")
      .add(Op::Move, "kept", false, "a/old")
      .add(Op::Upsert, "ab/y")
      .add(Op::Delete, "./a/z/");
  const ChangeList list = buildChangeList(ev.events.data(), ev.events.size(), true,
                                          [](std::string_view p) { return p.rfind("a/", 0) == 0; });
  EXPECT_EQ(splitNul(list.payload), (Words{"a", "out", "kept", "ab/y"}));
  EXPECT_EQ(list.leftOut, 5u);
  EXPECT_EQ(list.pathCount, 4u);
  EXPECT_TRUE(list.hasDeletes);  // "out"
  const ChangeList onlyBelow = buildChangeList(ev.events.data(), 1, true, [](std::string_view) { return true; });
  EXPECT_EQ(onlyBelow.pathCount, 0u);
  EXPECT_FALSE(onlyBelow.hasDeletes);
}

}  // namespace
TEST(RsyncArgs, names_that_look_like_comments_are_prefixed) {
  const ChangeList list = Events().add(Op::Upsert, "#hash").add(Op::Delete, ";semi").add(Op::Upsert, "a/#b").build();
  EXPECT_EQ(splitNul(list.payload), (Words{"./#hash", "./;semi", "a/#b"}));
}

}  // namespace fsrelay::rsync
