// The http plugin's status page (GET /): one self-contained HTML document that renders /status.
#include "status_page.hpp"

namespace fsrelay::http {
namespace {

// Everything from /status is put into the DOM with textContent, never innerHTML: file names and error
// messages are attacker-chosen bytes.
constexpr std::string_view kPage = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fsrelay status</title>
<style>
:root { --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; --muted:#57606a; --line:#d0d7de; --bg:#f6f8fa; --bar:#0969da; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; background: #fff; }
header { display: flex; flex-wrap: wrap; gap: 16px; align-items: baseline; padding: 12px 20px; background: var(--bg); border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; }
main { padding: 8px 20px 24px; }
h2 { font-size: 15px; margin: 20px 0 6px; }
table { border-collapse: collapse; width: 100%; table-layout: auto; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.path { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
table.narrow { width: auto; min-width: 40%; }
td.root { min-width: 9em; }
td.target { min-width: 14em; }
td.err { min-width: 14em; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; white-space: nowrap; }
.ok { background: var(--ok); } .warn { background: var(--warn); } .bad { background: var(--bad); }
.muted { color: var(--muted); }
.err { color: var(--bad); }
.small { font-size: 12px; white-space: nowrap; }
svg.chart { display: block; }
svg.chart rect.b { fill: var(--bar); } svg.chart rect.base { fill: var(--line); }
svg.pbar { display: block; margin-top: 4px; }
svg.pbar rect.track { fill: var(--line); } svg.pbar rect.done { fill: var(--warn); }
#activity { display: flex; gap: 12px; align-items: center; }
#conn { margin-left: auto; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; }
#auth { display: none; margin: 12px 0; }
</style>
</head>
<body>
<header>
  <h1>fsrelay</h1>
  <span id="summary" class="muted">loading&hellip;</span>
  <span id="conn" class="muted"></span>
</header>
<main>
  <noscript><p class="err">This page needs JavaScript; the same data is at <a href="status">/status</a>.</p></noscript>
  <form id="auth"><label>Token: <input id="token" type="password" autocomplete="off"></label> <button>Use</button>
    <span class="muted">this endpoint needs its bearer token to read the status</span></form>
  <h2>Targets</h2>
  <table><thead><tr><th>State</th><th>Target</th><th>Root</th><th>Queued</th><th>Changes, last 10 min</th>
    <th>Delivered</th><th>Retries</th><th>Failed</th><th>Fail log</th><th>Last transfer</th><th>Last error</th></tr></thead>
    <tbody id="targets"></tbody></table>
  <h2>Roots</h2>
  <table class="narrow"><thead><tr><th>State</th><th>Path</th><th>Watches</th><th>Targets</th></tr></thead><tbody id="roots"></tbody></table>
  <h2>Events, last 10 min</h2>
  <div id="activity"></div>
  <h2>Fail log</h2>
  <dl id="faillog"></dl>
  <h2>Counters</h2>
  <dl id="counters"></dl>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const k in attrs) e.setAttribute(k, String(attrs[k]));
  return e;
}
function ago(unix, now) {
  if (!unix) return "never";
  const s = Math.max(0, Math.round(now - unix));
  if (s < 90) return s + " s ago";
  if (s < 5400) return Math.round(s / 60) + " min ago";
  if (s < 172800) return Math.round(s / 3600) + " h ago";
  return new Date(unix * 1000).toISOString().replace(".000Z", "Z");
}
function duration(s) {
  if (s < 120) return s + " s";
  if (s < 7200) return Math.round(s / 60) + " min";
  return (s / 3600).toFixed(1) + " h";
}
function clock(s) {
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = String(s % 60).padStart(2, "0");
  return h ? h + ":" + String(m).padStart(2, "0") + ":" + sec : m + ":" + sec;
}
function bytes(n) {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 999.95 && i < units.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(n < 100 ? 1 : 0) : n) + " " + units[i];
}
function count(n) { return Number(n || 0).toLocaleString("en-US"); }
// Bars of counts per bucket, oldest left; its title says the peak. data-max lets a test see it has data.
function chart(series, bucketS, width, height, label) {
  series = series || [];
  const max = Math.max(0, ...series), n = series.length || 1, w = width / n;
  const s = svg("svg", { class: "chart", width, height, viewBox: "0 0 " + width + " " + height, role: "img",
    "data-max": max, "aria-label": label });
  const title = svg("title", {});
  title.textContent = label + ": peak " + max + " per " + bucketS + " s, newest on the right";
  s.append(title, svg("rect", { class: "base", x: 0, y: height - 1, width, height: 1 }));
  series.forEach((v, i) => {
    if (!v) return;
    const h = Math.max(2, Math.round((v / max) * (height - 2)));
    s.append(svg("rect", { class: "b", x: (i * w).toFixed(1), y: height - 1 - h, width: Math.max(1, w - 1).toFixed(1), height: h }));
  });
  return s;
}
// What the last minute held: the newest bucket is still filling, so a per-second figure would jump.
function lastMinute(series, bucketS) {
  const n = Math.max(1, Math.round(60 / (bucketS || 10)));
  return count((series || []).slice(-n).reduce((a, b) => a + b, 0)) + " in the last minute";
}
function progressCell(p) {
  const box = el("div"), pct = p.percent >= 0 ? p.percent : 0;
  const bar = svg("svg", { class: "pbar", width: 140, height: 8, role: "progressbar", "aria-valuenow": pct,
    "aria-valuemin": 0, "aria-valuemax": 100 });
  bar.append(svg("rect", { class: "track", x: 0, y: 0, width: 140, height: 8, rx: 4 }),
    svg("rect", { class: "done", x: 0, y: 0, width: (1.4 * pct).toFixed(1), height: 8, rx: 4 }));
  const files = count(p.files_done) + (p.files_total ? " / " + count(p.files_total) + (p.totals_final ? "" : "+") : "") + " files";
  const text = !p.reported ? "starting" :
    (p.percent >= 0 ? p.percent + "% · " : "") + files + " · " + bytes(p.bytes_done) + " · " + bytes(p.bytes_per_second) +
    "/s · ETA " + (p.eta_s === null || p.eta_s === undefined ? "?" : clock(p.eta_s));
  box.append(bar, el("div", text, "small muted"));
  return box;
}
function state(t) {
  const failing = t.last_error_unix && t.last_error_unix >= (t.last_ok_unix || 0);
  if (failing && (t.queued > 0 || t.fail_log_entries > 0 || t.full_sync !== "idle")) return ["failing", "bad"];
  if (t.progress && t.progress.percent >= 0) return ["behind: full sync " + t.progress.percent + "%", "warn"];
  if (t.queued > 0 || t.in_flight || t.full_sync !== "idle") {
    const what = t.full_sync !== "idle" ? "full sync " + t.full_sync : t.queued + " queued";
    return ["behind: " + what, "warn"];
  }
  if (t.fail_log_entries > 0) return ["behind: " + t.fail_log_entries + " in fail log", "warn"];
  return ["in sync", "ok"];
}
function rootState(targets) {
  const states = targets.map((t) => state(t)[1]);
  if (states.includes("bad")) return ["failing", "bad"];
  if (states.includes("warn")) return ["behind", "warn"];
  return ["in sync", "ok"];
}
function fill(body, rows) { body.replaceChildren(...rows); }
function render(s) {
  const now = Date.now() / 1000;
  const targets = s.targets || [], roots = s.roots || [];
  const behind = targets.filter((t) => state(t)[1] !== "ok").length;
  $("summary").textContent = "v" + s.version + " · pid " + s.pid + " · up " + duration(s.uptime_s || 0) +
    " · " + (s.ready ? "ready" : "starting") + " · " + targets.length + " target(s), " +
    (behind ? behind + " not in sync" : "all in sync");
  fill($("targets"), targets.map((t) => {
    const tr = el("tr"), st = state(t), td = el("td");
    td.append(el("span", st[0], "badge " + st[1]));
    if (t.progress) td.append(progressCell(t.progress));
    const rates = t.rates || {}, rate = el("td");
    rate.append(chart(rates.delivered, rates.bucket_s || 10, 120, 24, "changes delivered"),
      el("div", lastMinute(rates.delivered, rates.bucket_s), "small muted"));
    const err = t.last_error ? el("td", t.last_error + " (" + ago(t.last_error_unix, now) + ")", "err") : el("td", "—", "muted");
    tr.append(td, el("td", t.name, "path target"), el("td", t.root, "path root"),
      el("td", t.queued + (t.in_flight ? " + in flight" : ""), "num"), rate, el("td", t.delivered, "num"),
      el("td", t.retries, "num"), el("td", t.failed, "num"), el("td", t.fail_log_entries || 0, "num"),
      el("td", ago(t.last_ok_unix, now)), err);
    return tr;
  }));
  if (!targets.length) fill($("targets"), [el("tr")].map((tr) => { tr.append(el("td", "no targets", "muted")); return tr; }));
  fill($("roots"), roots.map((r) => {
    const tr = el("tr"), mine = targets.filter((t) => t.root === r.path), st = rootState(mine), td = el("td");
    td.append(el("span", st[0], "badge " + st[1]));
    tr.append(td, el("td", r.path, "path"), el("td", r.watches, "num"), el("td", r.targets, "num"));
    return tr;
  }));
  const ev = s.event_rates || {};
  fill($("activity"), [chart(ev.events, ev.bucket_s || 10, 360, 40, "events"),
    el("span", lastMinute(ev.events, ev.bucket_s) + " · peak " + Math.max(0, ...(ev.events || [])) + " per " +
      (ev.bucket_s || 10) + " s", "muted")]);
  const fl = s.fail_log || {};
  fill($("faillog"), [el("dt", "path"), el("dd", fl.path || "—", "path"), el("dt", "entries"),
    el("dd", fl.entries || 0, fl.entries ? "err" : "")]);
  const c = s.counters || {};
  fill($("counters"), Object.keys(c).sort().flatMap((k) => [el("dt", k), el("dd", c[k])]));
}
let token = sessionStorage.getItem("fsrelay-token") || "";
$("auth").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem("fsrelay-token", token);
  refresh();
});
async function refresh() {
  try {
    const r = await fetch("status", { cache: "no-store", headers: token ? { Authorization: "Bearer " + token } : {} });
    if (r.status === 401) { $("auth").style.display = "block"; $("conn").textContent = "token needed"; return; }
    if (!r.ok) throw new Error("HTTP " + r.status);
    $("auth").style.display = "none";
    render(await r.json());
    $("conn").textContent = "updated " + new Date().toLocaleTimeString();
    $("conn").className = "muted";
  } catch (e) {
    $("conn").textContent = "cannot reach fsrelay: " + e.message;
    $("conn").className = "err";
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)HTML";

constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

std::string_view statusPageHtml() { return kPage; }

std::string_view statusPageCsp() { return kCsp; }

}  // namespace fsrelay::http
