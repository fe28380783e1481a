// Pure helpers of the rsync plugin: argv and stdin payloads, exit-code verdicts (no I/O).
#include "rsync_args.hpp"
#include "rsync_sweep.hpp"

#include <set>

#include <fsrelay/plugin_kit.hpp>

namespace fsrelay::rsync {
namespace {

using sdk::kit::printable;
using sdk::kit::safeRelativePath;
using sdk::kit::view;

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool isIpv6Literal(std::string_view ip) {
  return ip.find(':') != std::string_view::npos && !startsWith(ip, "[");
}

std::string withTrailingSlash(std::string_view s) {
  std::string out(s);
  if (out.empty() || out.back() != '/') out += '/';
  return out;
}

// Options that say how to reach the remote, shared by both kinds of run.
void appendTransport(const Remote& remote, std::vector<std::string>& argv) {
  if (remote.ssh) {
    // Our -e would override a user's -e (the last one wins): a user's own -e "ssh -i key" is kept.
    if (!paramsSetRemoteShell(remote.params)) {
      argv.push_back("-e");
      argv.push_back(remote.port ? "ssh -p " + std::to_string(*remote.port) : std::string("ssh"));
    }
  } else {
    // Without it a session to a nearby daemon pays Nagle + delayed-ACK stalls (~80 ms each).
    argv.push_back("--sockopts=TCP_NODELAY");
    if (remote.port) argv.push_back("--port=" + std::to_string(*remote.port));
    if (!remote.passwordFile.empty()) argv.push_back("--password-file=" + remote.passwordFile);
  }
  if (remote.timeoutS) argv.push_back("--timeout=" + std::to_string(*remote.timeoutS));
}

void appendEnds(const Remote& remote, std::string_view root, std::vector<std::string>& argv) {
  // ROOT/ (trailing slash): the contents of the root map onto the target, not a directory named after it.
  argv.push_back(withTrailingSlash(root));
  argv.push_back(targetString(remote));
}

void appendPath(std::string& payload, std::string_view path) {
  payload.append(path);
  payload.push_back('\0');
}

// "a/b/" -> "a/b": with -d, a name ending in "/" (like ".") would make rsync send the directory's contents.
std::string_view trimTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

// "./a/b/" -> "a/b", "./" and "./." -> ".": one spelling per path, so the root is recognised.
std::string_view normalize(std::string_view path) {
  path = trimTrailingSlashes(path);
  while (path.size() > 2 && startsWith(path, "./")) path.remove_prefix(2);
  path = trimTrailingSlashes(path);
  if (path == "./" || path == "./.") return ".";
  return path;
}

std::string_view firstComponent(std::string_view path) {
  return path.substr(0, path.find('/'));
}

const char* exitMeaning(int code) {
  switch (code) {
    case 0: return "success";
    case 1: return "syntax or usage error";
    case 2: return "protocol incompatibility";
    case 3: return "errors selecting input/output files, dirs";
    case 4: return "requested action not supported";
    case 5: return "error starting client-server protocol";
    case 6: return "daemon unable to append to log-file";
    case 10: return "error in socket I/O";
    case 11: return "error in file I/O";
    case 12: return "error in rsync protocol data stream";
    case 13: return "errors with program diagnostics";
    case 14: return "error in IPC code";
    case 20: return "received SIGUSR1 or SIGINT";
    case 21: return "some error returned by waitpid()";
    case 22: return "error allocating core memory buffers";
    case 23: return "partial transfer due to error";
    case 24: return "partial transfer due to vanished source files";
    case 25: return "the --max-delete limit stopped deletions";
    case 30: return "timeout in data send/receive";
    case 35: return "timeout waiting for daemon connection";
    case 126: return "rsync could not be executed";
    case 127: return "rsync not found";
    case 255: return "the remote shell failed (over ssh: host down, unreachable or refusing the key)";
    default: return "unknown exit code";
  }
}

}  // namespace

std::string targetString(const Remote& remote) {
  std::string out;
  if (!remote.user.empty()) out += remote.user + "@";
  out += isIpv6Literal(remote.ip) ? "[" + remote.ip + "]" : remote.ip;
  out += remote.ssh ? ":" : "::";
  out += withTrailingSlash(remote.name);
  return out;
}

bool paramsSetRemoteShell(const std::vector<std::string>& params) {
  for (const std::string& p : params) {
    if (p == "--rsh" || startsWith(p, "--rsh=")) return true;
    if (p.size() < 2 || p[0] != '-' || p[1] == '-') continue;
    // A short-option cluster like -avze: stop at the first letter that takes an argument, since the
    // rest of the word is that argument.
    for (std::size_t i = 1; i < p.size(); ++i) {
      if (p[i] == 'e') return true;
      if (std::string_view("BfMT@").find(p[i]) != std::string_view::npos) break;
    }
  }
  return false;
}

std::string ruleFileOption(const std::vector<std::string>& params) {
  auto mergeRule = [](std::string_view rule) {
    return startsWith(rule, "merge") || startsWith(rule, "dir-merge") || startsWith(rule, ".") ||
           startsWith(rule, ":");
  };
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string& p = params[i];
    const std::string_view next = i + 1 < params.size() ? std::string_view(params[i + 1]) : std::string_view();
    if (startsWith(p, "--exclude-from") || startsWith(p, "--include-from")) return p;
    if (startsWith(p, "--filter=") && mergeRule(std::string_view(p).substr(9))) return p;
    if (p == "--filter" && mergeRule(next)) return p + " " + std::string(next);
    if (p.size() < 2 || p[0] != '-' || p[1] == '-') continue;
    for (std::size_t k = 1; k < p.size(); ++k) {
      if (p[k] == 'F') return p;  // -F: a per-directory .rsync-filter merge
      if (p[k] == 'f') {
        const std::string_view rule = k + 1 < p.size() ? std::string_view(p).substr(k + 1) : next;
        if (mergeRule(rule)) return p;
        break;
      }
      if (std::string_view("eBMT@").find(p[k]) != std::string_view::npos) break;
    }
  }
  return "";
}

std::vector<std::string> stripDeleteOptions(const std::vector<std::string>& params, bool keepRefinements) {
  std::vector<std::string> out;
  for (const std::string& p : params) {
    const bool plain = p == "--del" || p == "--delete";
    const bool refinement = !plain && startsWith(p, "--delete");
    if (plain || (refinement && !keepRefinements)) continue;
    out.push_back(p);
  }
  return out;
}

bool needsModernProtocol(const std::vector<std::string>& params) {
  for (const std::string& p : params) {
    if (p == "--acls" || p == "--xattrs" || startsWith(p, "--protocol") || startsWith(p, "--iconv")) return true;
    if (p.size() > 1 && p[0] == '-' && p[1] != '-') {
      for (std::size_t i = 1; i < p.size(); ++i) {
        if (std::string_view("efTBM@").find(p[i]) != std::string_view::npos) break;  // the rest is a value
        if (p[i] == 'A' || p[i] == 'X') return true;
      }
    }
  }
  return false;
}

std::vector<std::string> stripUpdateOption(const std::vector<std::string>& params) {
  std::vector<std::string> out;
  for (const std::string& p : params) {
    if (p == "--update") continue;
    bool bundle = p.size() > 1 && p[0] == '-' && p[1] != '-';
    if (bundle) {
      std::string kept = "-";
      for (std::size_t i = 1; i < p.size(); ++i) {
        // A letter that takes a value ends the flags: the rest is its value, kept as it is.
        if (std::string_view("efTBM@").find(p[i]) != std::string_view::npos) {
          kept.append(p, i, std::string::npos);
          break;
        }
        if (p[i] != 'u') kept.push_back(p[i]);
      }
      if (kept != "-") out.push_back(kept);
      continue;
    }
    out.push_back(p);
  }
  return out;
}

std::string escapeFilterLiteral(std::string_view name) {
  if (name.find_first_of("*?[") == std::string_view::npos) return std::string(name);
  std::string out;
  for (char c : name) {
    if (c == '\\' || c == '*' || c == '?' || c == '[') out += '\\';
    out += c;
  }
  return out;
}

ChangeList buildChangeList(const sdk::Event* events, std::size_t count, bool propagateDeletes,
                           const BelowNonDirectory& belowNonDirectory) {
  ChangeList list;
  std::set<std::string_view> topNames;
  // false when the path is left out (below a non-directory)
  auto add = [&](std::string_view path) {
    path = normalize(path);
    if (belowNonDirectory && path != "." && belowNonDirectory(path)) {
      ++list.leftOut;
      return false;
    }
    // rsync reads a files-from line starting with '#' or ';' as a comment, --from0 or not; "./" is
    // stripped again by the implied -R, so the name arrives as it is.
    if (!path.empty() && (path[0] == '#' || path[0] == ';')) list.payload.append("./");
    appendPath(list.payload, path);
    ++list.pathCount;
    if (path == ".") {
      list.rootListed = true;
    } else {
      topNames.insert(firstComponent(path));
    }
    return true;
  };
  for (std::size_t i = 0; i < count; ++i) {
    const sdk::Event& e = events[i];
    const std::string_view path = view(e.path);
    const std::string_view oldPath = view(e.old_path);
    if (!safeRelativePath(path) || (e.op == sdk::Op::Move && !safeRelativePath(oldPath))) {
      list.rejected.push_back(i);
      continue;
    }
    const bool isRoot = normalize(path) == ".";
    switch (e.op) {
      case sdk::Op::Upsert:
        add(path);
        break;
      case sdk::Op::Delete:
        // Deleting the root would empty the whole remote module: never do that from an event.
        if (!propagateDeletes || isRoot) {
          ++list.skippedDeletes;
        } else if (add(path)) {  // missing in the source -> --delete-missing-args deletes it on the target
          list.hasDeletes = true;
        }
        break;
      case sdk::Op::Move:
        if (propagateDeletes) {
          // gone from the source now, so deleted on the target
          if (add(oldPath)) list.hasDeletes = true;
        } else {
          ++list.skippedDeletes;
        }
        // A renamed directory's entries come as Upserts of their own (the host's contract), so
        // --no-r suffices here too.
        add(path);
        break;
      default:
        list.rejected.push_back(i);
        break;
    }
  }
  if (list.rootListed && topNames.size() <= kMaxRootRules) {
    // With -d a listed "." also sends every direct child of the root (-I would then rewrite them all).
    // Filters apply to listed names too, so the names of this batch are included first, then the
    // rest of the top level is excluded: "." itself and deeper listed paths are not matched by /*.
    for (std::string_view name : topNames) {
      list.rootRules.push_back("--include=/" + escapeFilterLiteral(name));
    }
    list.rootRules.push_back("--exclude=/*");
  }
  return list;
}

std::vector<std::string> changesArgv(const Remote& remote, std::string_view root, const ChangeList& list) {
  std::vector<std::string> argv{remote.rsyncPath};
  // A user's --delete* is dropped: with --no-r it only acts on a listed "." (deleting the root's
  // extraneous entries, even ones the host's filter excludes), and deletions are already exact here.
  const std::vector<std::string> params = stripUpdateOption(stripDeleteOptions(remote.params, false));
  argv.insert(argv.end(), params.begin(), params.end());
  if (remote.quiet) argv.push_back("-q");
  // Our options come after PARAMS, so they win over a -r or --ignore-existing-args in sersync's params.
  if (remote.fastHandshake && !remote.ssh && !list.hasDeletes && !needsModernProtocol(params))
    argv.push_back("--protocol=29");
  argv.push_back("--no-r");
  argv.push_back("-d");
  argv.push_back("-I");  // an event means "changed": the size+whole-second quick check can miss it
  argv.push_back("--force");
  argv.push_back("--from0");
  argv.push_back("--files-from=-");
  argv.push_back(remote.propagateDeletes ? "--delete-missing-args" : "--ignore-missing-args");
  appendTransport(remote, argv);
  argv.insert(argv.end(), list.rootRules.begin(), list.rootRules.end());
  appendEnds(remote, root, argv);
  return argv;
}

ProtocolFallback protocolFallback(int exitCode) {
  ProtocolFallback f;
  f.rerunNow = exitCode == 23 || exitCode == 12;
  f.defaultUntilOk = exitCode == 12;
  return f;
}

std::vector<std::string> fullSyncArgv(const Remote& remote, std::string_view root, bool progress) {
  std::vector<std::string> argv{remote.rsyncPath};
  // With delete on, a user's --delete-after / --delete-excluded refine our --delete and are kept.
  const std::vector<std::string> params = stripUpdateOption(stripDeleteOptions(remote.params, remote.propagateDeletes));
  argv.insert(argv.end(), params.begin(), params.end());
  if (progress) {
    argv.push_back("--info=progress2");
    if (remote.quiet) argv.push_back("--no-motd");
  } else if (remote.quiet) {
    argv.push_back("-q");
  }
  argv.push_back("-r");
  if (remote.propagateDeletes) argv.push_back("--delete");
  argv.push_back("--force");
  // rsync's quick check compares whole seconds: a file rewritten with the same size within the second of
  // the target's copy (a directory replaced by a staging copy, a crash just after a write) would be
  // skipped. -1 adds the nanoseconds (receivers from 3.1.3; older ones compare seconds, as before).
  bool windowGiven = false;
  for (const auto& p : params) windowGiven = windowGiven || p.rfind("--modify-window", 0) == 0 || p.rfind("-@", 0) == 0;
  if (!windowGiven) argv.push_back("--modify-window=-1");
  appendTransport(remote, argv);
  argv.push_back("--from0");
  argv.push_back("--exclude-from=-");
  appendEnds(remote, root, argv);
  return argv;
}

std::vector<std::string> sweepArgv(const Remote& remote, std::string_view root, bool wholeTree,
                                   const std::vector<std::string>& rules) {
  std::vector<std::string> argv{remote.rsyncPath};
  const std::vector<std::string> params = stripUpdateOption(stripDeleteOptions(remote.params, false));
  argv.insert(argv.end(), params.begin(), params.end());
  if (remote.quiet) argv.push_back("-q");
  if (wholeTree) {
    argv.push_back("-r");
  } else {
    argv.push_back("--no-r");
    argv.push_back("-d");
  }
  argv.push_back("--delete");
  argv.push_back("--from0");
  argv.push_back("--files-from=-");
  argv.push_back("--ignore-missing-args");
  appendTransport(remote, argv);
  argv.insert(argv.end(), rules.begin(), rules.end());
  argv.push_back(std::string("--include=") + kTempNamePattern);
  argv.push_back("--exclude=*");
  appendEnds(remote, root, argv);
  return argv;
}

std::string excludePayload(const sdk::Exclude* excludes, std::size_t count) {
  std::string payload;
  for (std::size_t i = 0; i < count; ++i) {
    const sdk::Exclude& x = excludes[i];
    std::string_view pattern = view(x.pattern);
    if (pattern.empty() || pattern.find('\0') != std::string_view::npos) continue;
    std::string rule = "- ";
    if (x.is_glob) {
      rule.append(pattern);
    } else {
      pattern = normalize(pattern);
      if (pattern == "." || pattern == "/") continue;  // never exclude the root
      rule += '/';  // anchored: this path, not any file of that name deeper down
      rule += escapeFilterLiteral(pattern);
      if (x.is_dir) rule += '/';
    }
    appendPath(payload, rule);
  }
  return payload;
}

Verdict classifyExit(int exitCode, int termSignal, bool timedOut, bool spawnFailed) {
  using sdk::Status;
  if (spawnFailed) return {Status::Retry, "rsync could not be started"};
  if (timedOut) return {Status::Retry, "timed out (transfer_timeout_ms), rsync killed"};
  if (termSignal != 0 || exitCode < 0) {
    return {Status::Retry, "killed by signal " + std::to_string(termSignal)};
  }
  Status status;
  switch (exitCode) {
    case 0:
    case 24:  // source files vanished during the run: the event for their removal covers them
      status = Status::Ok;
      break;
    case 5:   // auth failed, unknown module or daemon "max connections" reached
    case 10:  // connection refused / reset
    case 11:  // receiver I/O error, e.g. disk full
    case 12:  // connection dropped mid-stream
    case 20:  // rsync interrupted
    case 23:  // some files failed (permissions, a file busy on the receiver)
    case 30:
    case 35:
    case 126:  // could not exec: treated like a failed spawn
    case 127:
    case 255:  // over ssh: the connection failed (host down or unreachable), as 10 is for a daemon
      status = Status::Retry;
      break;
    default:  // 1 2 3 4 6 13 14 21 22 25 and unknown codes: retrying the same argv cannot help
      status = Status::Fail;
      break;
  }
  return {status, "exit " + std::to_string(exitCode) + ": " + exitMeaning(exitCode)};
}

std::string outputTail(std::string_view output, std::size_t maxLines, std::size_t maxBytes) {
  std::vector<std::string_view> lines;
  std::size_t end = output.size();
  while (end > 0 && lines.size() < maxLines) {
    std::size_t start = output.rfind('\n', end - 1);
    start = start == std::string_view::npos ? 0 : start + 1;
    std::string_view line = output.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) lines.push_back(line);
    end = start == 0 ? 0 : start - 1;
  }
  std::string out;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!out.empty()) out += " | ";
    out += printable(*it);
  }
  if (out.size() > maxBytes) {
    // Keep the end: rsync's summary "rsync error: ... (code N)" is the last line.
    std::size_t cut = out.size() - maxBytes;
    while (cut < out.size() && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) ++cut;
    out = "..." + out.substr(cut);
  }
  return out;
}

std::string failureMessage(std::string_view target, const Verdict& verdict, std::string_view output) {
  std::string msg = "rsync to " + printable(target) + " failed: " + verdict.meaning;
  // rsync names the cause first ("@ERROR: auth failed on module m", "rsync: [receiver] write failed on ...:
  // No space left on device (28)"); what follows is a summary line per process and consequences such as
  // "rsync: [sender] read error: Connection reset by peer", which can push the cause out of the last lines.
  std::string_view cause, firstRsync;
  std::size_t linesAfterCause = 0, linesAfterRsync = 0;
  for (std::size_t start = 0; start < output.size();) {
    std::size_t nl = output.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? output.size() : nl;
    std::string_view line = output.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \r") == std::string_view::npos) continue;
    ++linesAfterCause;
    ++linesAfterRsync;
    if (cause.empty() && startsWith(line, "@ERROR")) {
      cause = line;
      linesAfterCause = 0;
    } else if (firstRsync.empty() && startsWith(line, "rsync: ")) {
      firstRsync = line;
      linesAfterRsync = 0;
    }
  }
  if (cause.empty()) {
    cause = firstRsync;
    linesAfterCause = linesAfterRsync;
  }
  const std::string tail = cause.empty() || linesAfterCause < 2
                               ? outputTail(output, 2, 400)
                               : outputTail(cause, 1, 200) + " | " + outputTail(output, 1, 200);
  if (!tail.empty()) msg += ": " + tail;
  return msg;
}

}  // namespace fsrelay::rsync
