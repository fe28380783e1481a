// Pure helpers of the command plugin: the include filter, argv and environment per run.
#include "command_args.hpp"

#include <utility>

#include <fsrelay/plugin_kit.hpp>

namespace fsrelay::command {
namespace {

using sdk::kit::safeRelativePath;
using sdk::kit::view;

// What the kernel charges a string in argv or envp against ARG_MAX: its bytes, its NUL, its pointer.
std::size_t argCost(std::string_view s) { return s.size() + 1 + sizeof(char*); }

std::size_t argCost(const std::vector<std::string>& words) {
  std::size_t n = 0;
  for (const std::string& w : words) n += argCost(w);
  return n;
}

std::vector<std::string> batchEnv(std::string_view root, RunOp op, std::size_t count) {
  return {
      std::string("FSRELAY_OP=") + opName(op),
      "FSRELAY_ROOT=" + std::string(root),
      "FSRELAY_PATH=",
      "FSRELAY_OLD_PATH=",
      "FSRELAY_IS_DIR=",
      "FSRELAY_COUNT=" + std::to_string(count),
  };
}

// Batch mode: the paths of one operation, cut into runs that respect batchMax and argBytesMax.
void addBatchRuns(const CommandSpec& spec, std::string_view root, RunOp op, int phase,
                  const std::vector<std::pair<std::string, std::size_t>>& paths, std::vector<Invocation>& runs) {
  // FSRELAY_COUNT's digits may grow; budget for the longest count the run can have.
  const std::size_t fixed = argCost(spec.prefix) + argCost(spec.suffix) +
                            argCost(batchEnv(root, op, spec.batchMax)) + sizeof(char*) * 2;
  const std::size_t maxPaths = spec.batchMax == 0 ? 1 : spec.batchMax;
  std::size_t i = 0;
  while (i < paths.size()) {
    Invocation run;
    run.phase = phase;
    run.argv = spec.prefix;
    std::size_t bytes = fixed;
    while (i < paths.size() && run.pathCount < maxPaths) {
      const std::size_t cost = argCost(paths[i].first);
      // At least one path per run, however long: the kernel then says whether it fits (E2BIG).
      if (run.pathCount > 0 && bytes + cost > spec.argBytesMax) break;
      bytes += cost;
      run.argv.push_back(paths[i].first);
      run.events.push_back(paths[i].second);  // a move split in two is in a delete run and an upsert run
      ++run.pathCount;
      ++i;
    }
    run.argv.insert(run.argv.end(), spec.suffix.begin(), spec.suffix.end());
    run.env = batchEnv(root, op, run.pathCount);
    runs.push_back(std::move(run));
  }
}

}  // namespace

std::string dotMatchesAll(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  bool inClass = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
    } else if (inClass) {
      out += c;
      if (c == ']') inClass = false;
    } else if (c == '[') {
      out += c;
      inClass = true;
    } else if (c == '.') {
      out += "[\\s\\S]";
    } else {
      out += c;
    }
  }
  return out;
}

std::string absolutePath(std::string_view root, std::string_view rel) {
  std::string out(root);
  if (rel == ".") return out;
  if (out.empty() || out.back() != '/') out += '/';
  out.append(rel);
  return out;
}

std::optional<IncludeFilter> IncludeFilter::compile(bool on, const std::vector<std::string>& expressions,
                                                    std::string* error) {
  IncludeFilter f;
  f.on_ = on;
  if (!on) return f;
  if (expressions.empty()) {
    if (error) *error = "filter.start is true but there is no <include expression=\"...\"/>: nothing would run";
    return std::nullopt;
  }
  for (const std::string& e : expressions) {
    try {
      f.regexes_.emplace_back(dotMatchesAll(e), std::regex::ECMAScript);
    } catch (const std::regex_error& ex) {
      if (error) *error = "filter.include.expression \"" + e + "\" is not a valid regex: " + ex.what();
      return std::nullopt;
    }
  }
  return f;
}

bool IncludeFilter::matches(std::string_view absPath) const {
  if (!on_) return true;
  for (const std::regex& r : regexes_) {
    try {
      if (std::regex_match(absPath.begin(), absPath.end(), r)) return true;
    } catch (const std::regex_error&) {
      // error_complexity / error_stack on a pathological path: treated as not matching.
    }
  }
  return false;
}

const char* opName(RunOp op) {
  switch (op) {
    case RunOp::Upsert: return "upsert";
    case RunOp::Delete: return "delete";
    case RunOp::Move: return "move";
    case RunOp::Sync: return "sync";
  }
  return "unknown";
}

std::string substitute(std::string_view word, std::string_view root, const Change& change) {
  const bool move = change.op == RunOp::Move;
  const std::pair<std::string_view, std::string> table[] = {
      {"{op}", opName(change.op)},
      {"{path}", absolutePath(root, change.rel)},
      {"{relpath}", change.rel},
      {"{oldpath}", move ? absolutePath(root, change.oldRel) : std::string()},
      {"{oldrelpath}", move ? change.oldRel : std::string()},
      {"{root}", std::string(root)},
      {"{isdir}", change.isDir ? "1" : "0"},
  };
  std::string out;
  std::size_t i = 0;
  while (i < word.size()) {
    bool replaced = false;
    if (word[i] == '{') {
      for (const auto& [name, value] : table) {
        if (word.substr(i, name.size()) == name) {
          out += value;
          i += name.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += word[i++];
  }
  return out;
}

std::vector<std::string> changeArgv(const CommandSpec& spec, std::string_view root, const Change& change) {
  std::vector<std::string> argv;
  argv.reserve(spec.prefix.size() + spec.suffix.size() + 1);
  if (spec.placeholders) {
    for (const std::string& w : spec.prefix) argv.push_back(substitute(w, root, change));
    for (const std::string& w : spec.suffix) argv.push_back(substitute(w, root, change));
    return argv;
  }
  argv = spec.prefix;
  argv.push_back(absolutePath(root, change.rel));
  argv.insert(argv.end(), spec.suffix.begin(), spec.suffix.end());
  return argv;
}

std::vector<std::string> changeEnv(std::string_view root, const Change& change) {
  return {
      std::string("FSRELAY_OP=") + opName(change.op),
      "FSRELAY_ROOT=" + std::string(root),
      "FSRELAY_PATH=" + change.rel,
      "FSRELAY_OLD_PATH=" + (change.op == RunOp::Move ? change.oldRel : std::string()),
      std::string("FSRELAY_IS_DIR=") + (change.isDir ? "1" : "0"),
      "FSRELAY_COUNT=1",
  };
}

Plan planChanges(const CommandSpec& spec, const IncludeFilter& filter, std::string_view root,
                 const sdk::Event* events, std::size_t count) {
  Plan plan;
  // Batch mode collects (absolute path, event index) per operation first.
  std::vector<std::pair<std::string, std::size_t>> deletes;
  std::vector<std::pair<std::string, std::size_t>> upserts;

  for (std::size_t i = 0; i < count; ++i) {
    const sdk::Event& e = events[i];
    const std::string_view rel = view(e.path);
    const bool move = e.op == sdk::Op::Move;
    if (!safeRelativePath(rel) || (move && !safeRelativePath(view(e.old_path)))) {
      plan.rejected.push_back(i);
      continue;
    }
    const std::string abs = absolutePath(root, rel);
    const std::string oldAbs = move ? absolutePath(root, view(e.old_path)) : std::string();
    const bool newMatch = e.op != sdk::Op::Delete && filter.matches(abs);
    const bool oldMatch = e.op == sdk::Op::Delete ? filter.matches(abs) : move && filter.matches(oldAbs);

    Change c;
    c.isDir = e.is_dir != 0;
    if (move && newMatch && oldMatch) {
      c.op = RunOp::Move;
      c.rel = std::string(rel);
      c.oldRel = std::string(view(e.old_path));
    } else if (newMatch) {
      c.op = RunOp::Upsert;
      c.rel = std::string(rel);
    } else if (oldMatch && spec.deletes) {
      c.op = RunOp::Delete;
      c.rel = std::string(move ? view(e.old_path) : rel);
    } else {
      ++plan.filtered;
      continue;
    }

    if (spec.batch) {
      if (c.op == RunOp::Move) {
        if (spec.deletes) deletes.emplace_back(oldAbs, i);
        upserts.emplace_back(abs, i);
      } else if (c.op == RunOp::Delete) {
        deletes.emplace_back(absolutePath(root, c.rel), i);
      } else {
        upserts.emplace_back(abs, i);
      }
      continue;
    }
    Invocation run;
    run.argv = changeArgv(spec, root, c);
    run.env = changeEnv(root, c);
    run.events.push_back(i);
    run.pathCount = 1;
    run.phase = c.op == RunOp::Delete ? 0 : 1;
    plan.runs.push_back(std::move(run));
  }

  if (spec.batch) {
    addBatchRuns(spec, root, RunOp::Delete, 0, deletes, plan.runs);
    addBatchRuns(spec, root, RunOp::Upsert, 1, upserts, plan.runs);
  } else {
    // Stable: deletions first, otherwise the batch's order.
    std::vector<Invocation> ordered;
    ordered.reserve(plan.runs.size());
    for (int phase : {0, 1}) {
      for (Invocation& r : plan.runs) {
        if (r.phase == phase) ordered.push_back(std::move(r));
      }
    }
    plan.runs = std::move(ordered);
  }
  return plan;
}

Invocation planFullSync(const CommandSpec& spec, std::string_view root) {
  Change c;
  c.op = RunOp::Sync;
  c.rel = ".";
  c.isDir = true;
  Invocation run;
  run.argv = changeArgv(spec, root, c);
  run.env = changeEnv(root, c);
  run.pathCount = 1;
  run.phase = 1;
  return run;
}

Verdict classifyRun(int exitCode, int termSignal, bool timedOut, bool spawnFailed, bool ignoreError) {
  Verdict v;
  if (spawnFailed) {
    v.status = sdk::Status::Fail;
    v.failed = true;
    v.meaning = "could not be started";
    return v;
  }
  if (timedOut) {
    v.meaning = "timed out (killed)";
  } else if (termSignal != 0) {
    v.meaning = "killed by signal " + std::to_string(termSignal);
  } else if (exitCode != 0) {
    v.meaning = "exit " + std::to_string(exitCode);
  } else {
    v.meaning = "exit 0";
    return v;
  }
  v.failed = true;
  v.status = ignoreError ? sdk::Status::Ok : sdk::Status::Retry;
  return v;
}

}  // namespace fsrelay::command
