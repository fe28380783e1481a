// Unit tests of the command plugin's pure helpers: include filter, argv, environment, batches. (Word
// splitting and the path check are the kit's: plugin_kit_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include <fsrelay/plugin.hpp>

#include "command/command_args.hpp"

namespace fsrelay::command {
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
  Plan plan(const CommandSpec& spec, const IncludeFilter& filter = {}, const std::string& root = "/srv") const {
    return planChanges(spec, filter, root, events.data(), events.size());
  }
};

CommandSpec spec(Words prefix = {"/bin/sh", "/opt/hook.sh"}, Words suffix = {}) {
  CommandSpec s;
  s.prefix = std::move(prefix);
  s.suffix = std::move(suffix);
  return s;
}

IncludeFilter filterOf(const Words& expressions) {
  std::string error;
  auto f = IncludeFilter::compile(true, expressions, &error);
  EXPECT_TRUE(f.has_value()) << error;
  return f.value_or(IncludeFilter{});
}

// The value of NAME in a run's environment, or "<unset>".
std::string envOf(const Invocation& run, const std::string& name) {
  for (const std::string& e : run.env) {
    if (e.compare(0, name.size() + 1, name + "=") == 0) return e.substr(name.size() + 1);
  }
  return "<unset>";
}

// Every name a shell, an option parser or a UTF-8 decoder could trip over.
Words hostileNames() {
  return {
      "with space.txt",
      " leading space",
      "trailing space ",
      "single'quote",
      "double\"quote",
      "new\nline",
      "tab\there",
      "carriage\rreturn",
      "-leading-dash",
      "--help",
      "back\\slash",
      "glob*?[ab]",
      "semi;colon&amp|pipe>redir<in",
      "dollar$HOME$(x)",
      "$(touch /tmp/pwned)",
      "`touch /tmp/pwned`",
      "'$(id)'",
      "\"; rm -rf /; \"",
      "percent%s%n",
      "{op}{path}{}",
      "~tilde",
      "\xff\xfe invalid utf-8",
      "\xc3\x28 overlong",
      "utf8-\xc3\xbc" "n\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9",
      "sub dir/$(x) `y`/-z\n",
  };
}

// --- paths ----------------------------------------------------------------------------------------

TEST(CommandPaths, absolute_path_joins_root_and_relative_path) {
  EXPECT_EQ(absolutePath("/srv/www", "a/b.php"), "/srv/www/a/b.php");
  EXPECT_EQ(absolutePath("/srv/www", "."), "/srv/www");
  EXPECT_EQ(absolutePath("/", "a"), "/a");
  EXPECT_EQ(absolutePath("/", "."), "/");
}

// --- include filter -------------------------------------------------------------------------------

TEST(CommandFilter, off_runs_everything) {
  std::string error;
  auto f = IncludeFilter::compile(false, {"(.*)\\.php"}, &error);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->on());
  EXPECT_TRUE(f->matches("/srv/a.txt"));
}

TEST(CommandFilter, sersync_sample_matches_the_whole_absolute_path) {
  IncludeFilter f = filterOf({"(.*)\\.php"});
  EXPECT_TRUE(f.matches("/srv/www/index.php"));
  EXPECT_TRUE(f.matches("/srv/www/sub dir/a b.php"));
  EXPECT_FALSE(f.matches("/srv/www/index.php.bak"));  // full match, not search
  EXPECT_FALSE(f.matches("/srv/www/index.phpx"));
  EXPECT_FALSE(f.matches("/srv/www/index.txt"));
}

TEST(CommandFilter, expressions_see_the_absolute_path_and_any_one_may_match) {
  IncludeFilter f = filterOf({"/srv/www/static/.*", ".*\\.(css|js)"});
  EXPECT_TRUE(f.matches("/srv/www/static/img/logo.png"));
  EXPECT_TRUE(f.matches("/srv/www/app.js"));
  EXPECT_FALSE(f.matches("/srv/www/index.html"));
  EXPECT_FALSE(filterOf({"static/.*"}).matches("/srv/www/static/a"));  // relative: no full match
}

TEST(CommandFilter, dot_matches_newline_and_any_byte) {
  IncludeFilter f = filterOf({"(.*)\\.php"});
  EXPECT_TRUE(f.matches("/srv/new\nline.php"));
  EXPECT_TRUE(f.matches("/srv/cr\rname.php"));
  EXPECT_TRUE(f.matches("/srv/\xff\xfe invalid.php"));
  EXPECT_TRUE(f.matches("/srv/\xc3\xbc.php"));
  // A literal dot and dots inside a class keep their meaning.
  IncludeFilter literal = filterOf({"/srv/a\\.b", "/srv/x[.]y"});
  EXPECT_TRUE(literal.matches("/srv/a.b"));
  EXPECT_FALSE(literal.matches("/srv/a\nb"));
  EXPECT_TRUE(literal.matches("/srv/x.y"));
  EXPECT_FALSE(literal.matches("/srv/x\ny"));
}

TEST(CommandFilter, dot_rewrite_leaves_escapes_and_classes_alone) {
  EXPECT_EQ(dotMatchesAll("(.*)\\.php"), "([\\s\\S]*)\\.php");
  EXPECT_EQ(dotMatchesAll("[.]x[^.]"), "[.]x[^.]");
  EXPECT_EQ(dotMatchesAll("[\\].]."), "[\\].][\\s\\S]");
  EXPECT_EQ(dotMatchesAll("a\\\\."), "a\\\\[\\s\\S]");
}

TEST(CommandFilter, long_paths_do_not_break_matching) {
  const std::string longPath = "/srv/" + std::string(4000, 'a') + ".php";
  IncludeFilter f = filterOf({"(.*)\\.php"});
  EXPECT_TRUE(f.matches(longPath));
  EXPECT_FALSE(f.matches(longPath + "x"));
}

TEST(CommandFilter, on_without_expressions_and_bad_regexes_are_errors) {
  std::string error;
  EXPECT_FALSE(IncludeFilter::compile(true, {}, &error));
  EXPECT_NE(error.find("nothing would run"), std::string::npos) << error;
  EXPECT_FALSE(IncludeFilter::compile(true, {"ok.*", "(unclosed"}, &error));
  EXPECT_NE(error.find("(unclosed"), std::string::npos) << error;
}

// --- per-event runs -------------------------------------------------------------------------------

TEST(CommandPlan, upsert_runs_prefix_path_suffix_with_its_environment) {
  Events ev;
  ev.add(Op::Upsert, "dir/a.php");
  Plan p = ev.plan(spec({"/usr/bin/php", "-l"}, {"--", "end"}));
  ASSERT_EQ(p.runs.size(), 1u);
  const Invocation& r = p.runs[0];
  EXPECT_EQ(r.argv, Words({"/usr/bin/php", "-l", "/srv/dir/a.php", "--", "end"}));
  EXPECT_EQ(r.events, std::vector<std::size_t>({0}));
  EXPECT_EQ(r.pathCount, 1u);
  EXPECT_EQ(r.env, Words({"FSRELAY_OP=upsert", "FSRELAY_ROOT=/srv", "FSRELAY_PATH=dir/a.php", "FSRELAY_OLD_PATH=",
                          "FSRELAY_IS_DIR=0", "FSRELAY_COUNT=1"}));
}

TEST(CommandPlan, directories_and_the_root_itself) {
  Events ev;
  ev.add(Op::Upsert, "newdir", true).add(Op::Upsert, ".", true);
  Plan p = ev.plan(spec({"hook"}));
  ASSERT_EQ(p.runs.size(), 2u);
  EXPECT_EQ(p.runs[0].argv, Words({"hook", "/srv/newdir"}));
  EXPECT_EQ(envOf(p.runs[0], "FSRELAY_IS_DIR"), "1");
  EXPECT_EQ(p.runs[1].argv, Words({"hook", "/srv"}));
  EXPECT_EQ(envOf(p.runs[1], "FSRELAY_PATH"), ".");
}

TEST(CommandPlan, deletes_run_first_and_say_so) {
  Events ev;
  ev.add(Op::Upsert, "a").add(Op::Delete, "gone", true).add(Op::Upsert, "b").add(Op::Delete, "gone2");
  Plan p = ev.plan(spec({"hook"}));
  ASSERT_EQ(p.runs.size(), 4u);
  EXPECT_EQ(p.runs[0].argv, Words({"hook", "/srv/gone"}));
  EXPECT_EQ(envOf(p.runs[0], "FSRELAY_OP"), "delete");
  EXPECT_EQ(envOf(p.runs[0], "FSRELAY_IS_DIR"), "1");
  EXPECT_EQ(p.runs[0].phase, 0);
  EXPECT_EQ(p.runs[1].argv, Words({"hook", "/srv/gone2"}));
  EXPECT_EQ(p.runs[2].argv, Words({"hook", "/srv/a"}));
  EXPECT_EQ(envOf(p.runs[2], "FSRELAY_OP"), "upsert");
  EXPECT_EQ(p.runs[2].phase, 1);
  EXPECT_EQ(p.runs[3].events, std::vector<std::size_t>({2}));
}

TEST(CommandPlan, deletes_off_leaves_deletions_out) {
  Events ev;
  ev.add(Op::Delete, "gone").add(Op::Upsert, "a");
  CommandSpec s = spec({"hook"});
  s.deletes = false;
  Plan p = ev.plan(s);
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.runs[0].argv, Words({"hook", "/srv/a"}));
  EXPECT_EQ(p.filtered, 1u);
}

TEST(CommandPlan, move_passes_new_path_and_old_path) {
  Events ev;
  ev.add(Op::Move, "new name", false, "old name");
  Plan p = ev.plan(spec({"hook"}));
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.runs[0].argv, Words({"hook", "/srv/new name"}));
  EXPECT_EQ(envOf(p.runs[0], "FSRELAY_OP"), "move");
  EXPECT_EQ(envOf(p.runs[0], "FSRELAY_PATH"), "new name");
  EXPECT_EQ(envOf(p.runs[0], "FSRELAY_OLD_PATH"), "old name");
}

TEST(CommandPlan, move_with_one_side_matching_the_filter_is_an_upsert_or_a_delete) {
  IncludeFilter php = filterOf({"(.*)\\.php"});
  Events ev;
  ev.add(Op::Move, "a.php", false, "a.tmp")      // only the new side: upsert a.php
      .add(Op::Move, "b.php.bak", false, "b.php")  // only the old side: delete b.php
      .add(Op::Move, "c.txt", false, "c.tmp")      // neither
      .add(Op::Move, "d2.php", false, "d.php");    // both: move
  Plan p = ev.plan(spec({"hook"}), php);
  ASSERT_EQ(p.runs.size(), 3u);
  EXPECT_EQ(p.filtered, 1u);
  EXPECT_EQ(p.runs[0].argv, Words({"hook", "/srv/b.php"}));
  EXPECT_EQ(envOf(p.runs[0], "FSRELAY_OP"), "delete");
  EXPECT_EQ(envOf(p.runs[0], "FSRELAY_OLD_PATH"), "");
  EXPECT_EQ(p.runs[0].events, std::vector<std::size_t>({1}));
  EXPECT_EQ(p.runs[1].argv, Words({"hook", "/srv/a.php"}));
  EXPECT_EQ(envOf(p.runs[1], "FSRELAY_OP"), "upsert");
  EXPECT_EQ(p.runs[2].argv, Words({"hook", "/srv/d2.php"}));
  EXPECT_EQ(envOf(p.runs[2], "FSRELAY_OP"), "move");
  EXPECT_EQ(envOf(p.runs[2], "FSRELAY_OLD_PATH"), "d.php");

  CommandSpec noDeletes = spec({"hook"});
  noDeletes.deletes = false;
  Plan q = ev.plan(noDeletes, php);
  ASSERT_EQ(q.runs.size(), 2u);  // the old-side-only move is a deletion, left out
  EXPECT_EQ(q.filtered, 2u);
}

TEST(CommandPlan, include_filter_leaves_out_what_does_not_match) {
  Events ev;
  ev.add(Op::Upsert, "a.php").add(Op::Upsert, "a.txt").add(Op::Delete, "b.php").add(Op::Delete, "b.txt");
  Plan p = ev.plan(spec({"hook"}), filterOf({"(.*)\\.php"}));
  ASSERT_EQ(p.runs.size(), 2u);
  EXPECT_EQ(p.filtered, 2u);
  EXPECT_EQ(p.runs[0].argv, Words({"hook", "/srv/b.php"}));
  EXPECT_EQ(p.runs[1].argv, Words({"hook", "/srv/a.php"}));
  // The filter sees the absolute path, so it can select by root.
  EXPECT_TRUE(ev.plan(spec({"hook"}), filterOf({"/other/.*"})).runs.empty());
}

TEST(CommandPlan, unsafe_paths_are_rejected_not_run) {
  Events ev;
  ev.add(Op::Upsert, "../etc/passwd").add(Op::Upsert, "/abs").add(Op::Move, "ok", false, "a/../../x");
  ev.add(Op::Upsert, "fine");
  Plan p = ev.plan(spec({"hook"}));
  EXPECT_EQ(p.rejected, std::vector<std::size_t>({0, 1, 2}));
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.runs[0].argv, Words({"hook", "/srv/fine"}));
}

TEST(CommandPlan, hostile_names_are_one_argv_element_each_unchanged) {
  for (const std::string& name : hostileNames()) {
    Events ev;
    ev.add(Op::Upsert, name);
    Plan p = ev.plan(spec({"/bin/sh", "/opt/hook.sh"}, {"--suffix"}));
    ASSERT_EQ(p.runs.size(), 1u) << name;
    EXPECT_EQ(p.runs[0].argv, Words({"/bin/sh", "/opt/hook.sh", "/srv/" + name, "--suffix"})) << name;
    EXPECT_EQ(envOf(p.runs[0], "FSRELAY_PATH"), name);

    Events del;
    del.add(Op::Delete, name);
    Plan d = del.plan(spec({"hook"}));
    ASSERT_EQ(d.runs.size(), 1u);
    EXPECT_EQ(d.runs[0].argv, Words({"hook", "/srv/" + name}));
    EXPECT_EQ(envOf(d.runs[0], "FSRELAY_OP"), "delete");

    Events mv;
    mv.add(Op::Move, name + ".new", false, name);
    Plan m = mv.plan(spec({"hook"}));
    ASSERT_EQ(m.runs.size(), 1u);
    EXPECT_EQ(m.runs[0].argv, Words({"hook", "/srv/" + name + ".new"}));
    EXPECT_EQ(envOf(m.runs[0], "FSRELAY_OLD_PATH"), name);
  }
}

TEST(CommandPlan, hostile_names_in_batch_mode_are_one_element_each) {
  Events ev;
  const Words names = hostileNames();
  for (const std::string& n : names) ev.add(Op::Upsert, n);
  CommandSpec s = spec({"hook"}, {"--end"});
  s.batch = true;
  Plan p = ev.plan(s);
  ASSERT_EQ(p.runs.size(), 1u);
  Words expected = {"hook"};
  for (const std::string& n : names) expected.push_back("/srv/" + n);
  expected.push_back("--end");
  EXPECT_EQ(p.runs[0].argv, expected);
}

// --- placeholders ---------------------------------------------------------------------------------

TEST(CommandPlaceholders, words_are_substituted_and_no_path_is_added) {
  Events ev;
  ev.add(Op::Move, "d/new.php", false, "d/old.php");
  CommandSpec s = spec({"/usr/bin/hook", "--op={op}", "{path}"}, {"{relpath}", "{oldpath}", "{oldrelpath}", "{root}",
                                                                   "{isdir}", "{unknown}", "{}", "{{op}}"});
  s.placeholders = true;
  Plan p = ev.plan(s);
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.runs[0].argv, Words({"/usr/bin/hook", "--op=move", "/srv/d/new.php", "d/new.php", "/srv/d/old.php",
                                   "d/old.php", "/srv", "0", "{unknown}", "{}", "{move}"}));
}

TEST(CommandPlaceholders, a_name_containing_a_placeholder_is_not_substituted_again) {
  Events ev;
  ev.add(Op::Upsert, "{op} $(x) {path}");
  CommandSpec s = spec({"hook", "{relpath}", "x{path}y"});
  s.placeholders = true;
  Plan p = ev.plan(s);
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.runs[0].argv, Words({"hook", "{op} $(x) {path}", "x/srv/{op} $(x) {path}y"}));
  EXPECT_EQ(substitute("{oldpath}", "/srv", Change{RunOp::Upsert, "a", "", false}), "");
}

TEST(CommandPlaceholders, without_the_option_braces_are_literal) {
  Events ev;
  ev.add(Op::Upsert, "a");
  Plan p = ev.plan(spec({"hook", "{path}"}));
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.runs[0].argv, Words({"hook", "{path}", "/srv/a"}));
}

// --- batch mode -----------------------------------------------------------------------------------

TEST(CommandBatch, many_paths_go_to_one_run_in_order) {
  Events ev;
  for (int i = 0; i < 50; ++i) ev.add(Op::Upsert, "f" + std::to_string(i));
  CommandSpec s = spec({"/usr/bin/make", "-C", "/srv"}, {"--"});
  s.batch = true;
  Plan p = ev.plan(s);
  ASSERT_EQ(p.runs.size(), 1u);
  const Invocation& r = p.runs[0];
  ASSERT_EQ(r.argv.size(), 3u + 50u + 1u);
  EXPECT_EQ(r.argv[3], "/srv/f0");
  EXPECT_EQ(r.argv[52], "/srv/f49");
  EXPECT_EQ(r.argv.back(), "--");
  EXPECT_EQ(r.pathCount, 50u);
  EXPECT_EQ(r.events.size(), 50u);
  EXPECT_EQ(envOf(r, "FSRELAY_OP"), "upsert");
  EXPECT_EQ(envOf(r, "FSRELAY_COUNT"), "50");
  EXPECT_EQ(envOf(r, "FSRELAY_PATH"), "");
  EXPECT_EQ(envOf(r, "FSRELAY_ROOT"), "/srv");
}

TEST(CommandBatch, deletions_and_moves_are_split_by_operation) {
  Events ev;
  ev.add(Op::Upsert, "a").add(Op::Delete, "gone").add(Op::Move, "new", false, "old").add(Op::Upsert, "b");
  CommandSpec s = spec({"hook"});
  s.batch = true;
  Plan p = ev.plan(s);
  ASSERT_EQ(p.runs.size(), 2u);
  EXPECT_EQ(p.runs[0].argv, Words({"hook", "/srv/gone", "/srv/old"}));
  EXPECT_EQ(envOf(p.runs[0], "FSRELAY_OP"), "delete");
  EXPECT_EQ(p.runs[0].phase, 0);
  EXPECT_EQ(p.runs[0].events, std::vector<std::size_t>({1, 2}));
  EXPECT_EQ(p.runs[1].argv, Words({"hook", "/srv/a", "/srv/new", "/srv/b"}));
  EXPECT_EQ(envOf(p.runs[1], "FSRELAY_OP"), "upsert");
  EXPECT_EQ(p.runs[1].events, std::vector<std::size_t>({0, 2, 3}));

  s.deletes = false;
  Plan q = ev.plan(s);
  ASSERT_EQ(q.runs.size(), 1u);
  EXPECT_EQ(q.runs[0].argv, Words({"hook", "/srv/a", "/srv/new", "/srv/b"}));
}

TEST(CommandBatch, batch_max_splits_runs) {
  Events ev;
  for (int i = 0; i < 2500; ++i) ev.add(Op::Upsert, "f" + std::to_string(i));
  CommandSpec s = spec({"hook"});
  s.batch = true;
  Plan p = ev.plan(s);
  ASSERT_EQ(p.runs.size(), 3u);
  EXPECT_EQ(p.runs[0].pathCount, 1000u);
  EXPECT_EQ(p.runs[1].pathCount, 1000u);
  EXPECT_EQ(p.runs[2].pathCount, 500u);
  EXPECT_EQ(p.runs[1].argv[1], "/srv/f1000");
  EXPECT_EQ(envOf(p.runs[2], "FSRELAY_COUNT"), "500");
}

TEST(CommandBatch, argument_bytes_split_runs_and_every_path_appears_once_in_order) {
  Events ev;
  for (int i = 0; i < 300; ++i) ev.add(Op::Upsert, std::string(200, 'x') + std::to_string(i));
  CommandSpec s = spec({"hook", "arg"}, {"tail"});
  s.batch = true;
  s.argBytesMax = 8 * 1024;
  Plan p = ev.plan(s);
  ASSERT_GT(p.runs.size(), 1u);
  Words all;
  for (const Invocation& r : p.runs) {
    std::size_t bytes = 0;
    for (const std::string& w : r.argv) bytes += w.size() + 1 + sizeof(char*);
    for (const std::string& e : r.env) bytes += e.size() + 1 + sizeof(char*);
    EXPECT_LE(bytes, s.argBytesMax);
    EXPECT_EQ(r.argv.front(), "hook");
    EXPECT_EQ(r.argv[1], "arg");
    EXPECT_EQ(r.argv.back(), "tail");
    all.insert(all.end(), r.argv.begin() + 2, r.argv.end() - 1);
  }
  ASSERT_EQ(all.size(), 300u);
  for (int i = 0; i < 300; ++i) EXPECT_EQ(all[i], "/srv/" + std::string(200, 'x') + std::to_string(i));
}

TEST(CommandBatch, a_path_longer_than_the_budget_still_gets_a_run) {
  Events ev;
  ev.add(Op::Upsert, std::string(5000, 'y')).add(Op::Upsert, "z");
  CommandSpec s = spec({"hook"});
  s.batch = true;
  s.argBytesMax = 1024;
  Plan p = ev.plan(s);
  ASSERT_EQ(p.runs.size(), 2u);
  EXPECT_EQ(p.runs[0].pathCount, 1u);
  EXPECT_EQ(p.runs[1].argv, Words({"hook", "/srv/z"}));
}

TEST(CommandBatch, nothing_matching_gives_no_run) {
  Events ev;
  ev.add(Op::Upsert, "a.txt");
  CommandSpec s = spec({"hook"});
  s.batch = true;
  Plan p = ev.plan(s, filterOf({".*\\.php"}));
  EXPECT_TRUE(p.runs.empty());
  EXPECT_EQ(p.filtered, 1u);
}

// --- full sync and verdicts -----------------------------------------------------------------------

TEST(CommandFullSync, one_run_with_the_root) {
  Invocation r = planFullSync(spec({"hook", "-x"}, {"end"}), "/srv/www");
  EXPECT_EQ(r.argv, Words({"hook", "-x", "/srv/www", "end"}));
  EXPECT_EQ(envOf(r, "FSRELAY_OP"), "sync");
  EXPECT_EQ(envOf(r, "FSRELAY_PATH"), ".");
  EXPECT_EQ(envOf(r, "FSRELAY_IS_DIR"), "1");
}

TEST(CommandVerdict, exit_status_signal_timeout_and_spawn_failure) {
  Verdict ok = classifyRun(0, 0, false, false, false);
  EXPECT_EQ(ok.status, Status::Ok);
  EXPECT_FALSE(ok.failed);
  EXPECT_EQ(ok.meaning, "exit 0");

  Verdict bad = classifyRun(3, 0, false, false, false);
  EXPECT_EQ(bad.status, Status::Retry);
  EXPECT_TRUE(bad.failed);
  EXPECT_EQ(bad.meaning, "exit 3");

  Verdict ignored = classifyRun(3, 0, false, false, true);
  EXPECT_EQ(ignored.status, Status::Ok);
  EXPECT_TRUE(ignored.failed);

  Verdict killed = classifyRun(-1, 9, false, false, false);
  EXPECT_EQ(killed.status, Status::Retry);
  EXPECT_EQ(killed.meaning, "killed by signal 9");

  Verdict slow = classifyRun(-1, 15, true, false, false);
  EXPECT_EQ(slow.status, Status::Retry);
  EXPECT_NE(slow.meaning.find("timed out"), std::string::npos);

  // A missing program is permanent whatever ignoreError says.
  for (bool ignore : {false, true}) {
    Verdict missing = classifyRun(-1, 0, false, true, ignore);
    EXPECT_EQ(missing.status, Status::Fail);
    EXPECT_TRUE(missing.failed);
  }
}

}  // namespace
}  // namespace fsrelay::command
