// weir's console: polls series (every second), draws every transform's
// status, swap timeline and plots. Every text from the server goes into
// the page as textContent or an attribute value, never as markup: names,
// reasons and signer ids come from operators, files and guests.
"use strict";

const POLL_MS = 1000;
const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#2271b1", "#d63638", "#00a32a", "#dba617", "#8c5fc8", "#3c434a", "#e26f56", "#1ba0a0"];

// el makes an element with attributes and children (strings become text).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c == null ? "" : c);
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

function short(digest) {
  return digest ? String(digest).replace(/^(sha256:[0-9a-f]{12})[0-9a-f]*$/, "$1…") : "";
}

function when(t) {
  if (!t || t.startsWith("0001-")) return "";
  const d = new Date(t);
  return d.toLocaleTimeString() + " (" + ago(d) + ")";
}

function ago(d) {
  const s = Math.max(0, Math.round((Date.now() - d.getTime()) / 1000));
  if (s < 120) return s + " s ago";
  if (s < 7200) return Math.round(s / 60) + " min ago";
  return Math.round(s / 3600) + " h ago";
}

function human(v) {
  if (!isFinite(v)) return "0";
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + "G";
  if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (a >= 1e3) return (v / 1e3).toFixed(1) + "k";
  return a >= 10 || a === 0 ? v.toFixed(0) : v.toFixed(2);
}

function duration(ns) {
  if (ns >= 1e9) return (ns / 1e9).toFixed(2) + " s";
  if (ns >= 1e6) return (ns / 1e6).toFixed(1) + " ms";
  return (ns / 1e3).toFixed(0) + " µs";
}

function dl(pairs) {
  const d = el("dl");
  for (const [k, v, attrs] of pairs) d.append(el("dt", {}, k), el("dd", attrs || {}, v));
  return d;
}

// plot draws lines over [t0, t1] (unix seconds): each line is {label,
// points: [[t, value]]}, a point per second it has data.
function plot(title, lines, t0, t1, fmt) {
  const W = 340, H = 140, L = 44, R = 6, T = 8, B = 18;
  const fig = el("figure", { "data-plot": title });
  fig.append(el("figcaption", {}, title));
  let top = 0;
  for (const l of lines) for (const [, v] of l.points) top = Math.max(top, v);
  top = top > 0 ? top * 1.1 : 1;
  const x = (t) => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  const s = svg("svg", { class: "plot", viewBox: `0 0 ${W} ${H}`, role: "img" });
  s.append(svg("title", {}, title));
  s.append(svg("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }));
  s.append(svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }));
  s.append(svg("text", { x: L - 4, y: T + 8, "text-anchor": "end" }, fmt(top)));
  s.append(svg("text", { x: L - 4, y: H - B, "text-anchor": "end" }, fmt(0)));
  const back = t1 - t0;
  s.append(svg("text", { x: L, y: H - 4 }, back >= 120 ? Math.round(back / 60) + " min ago" : back + " s ago"));
  s.append(svg("text", { x: W - R, y: H - 4, "text-anchor": "end" }, "now"));
  let n = 0;
  lines.forEach((l, i) => {
    if (l.points.length === 0) return;
    const pts = l.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    const color = COLORS[i % COLORS.length];
    s.append(svg("polyline", { class: "line", stroke: color, points: pts, "data-label": l.label, "data-points": l.points.length }));
    const [lt, lv] = l.points[l.points.length - 1]; // the latest point, visible even alone
    s.append(svg("circle", { cx: x(lt).toFixed(1), cy: y(lv).toFixed(1), r: 2, fill: color }));
    n += l.points.length;
  });
  fig.setAttribute("data-points", String(n));
  fig.append(s, legend(lines));
  return fig;
}

function legend(lines) {
  const div = el("div", { class: "legend" });
  lines.forEach((l, i) => {
    const sw = svg("svg", { class: "swatch", viewBox: "0 0 10 10", width: 10, height: 10 });
    sw.append(svg("rect", { width: 10, height: 10, fill: COLORS[i % COLORS.length] }));
    div.append(el("span", {}, sw, l.label));
  });
  return div;
}

// filled is a version's points with the seconds between its first and
// last (or now, while it serves) that had no batch as zeros.
function filled(points, value, until) {
  if (points.length === 0) return [];
  const byT = new Map(points.map((p) => [p.t, p]));
  const out = [];
  for (let t = points[0].t; t <= until; t++) {
    const p = byT.get(t);
    out.push([t, p ? value(p) : 0]);
  }
  return out;
}

// sparse is a version's points as they are, for values that mean nothing
// without batches (fuel per record, latency).
function sparse(points, value) {
  return points.filter((p) => p.records > 0 || p.p50_ns > 0).map((p) => [p.t, value(p)]);
}

// plots draws a transform's plots over the seconds its rings hold: from
// its oldest point (at least a minute back) to the last complete second.
function plots(tr, now, span) {
  const series = tr.series || [];
  const t1 = Math.floor(new Date(now).getTime() / 1000) - 1;
  let first = t1;
  for (const v of series) if (v.points.length) first = Math.min(first, v.points[0].t);
  const t0 = Math.max(t1 - span + 1, Math.min(first - 5, t1 - 60));
  const servingDigest = tr.serving.module_digest;
  const until = (v) => (v.digest === servingDigest ? t1 : v.points.length ? v.points[v.points.length - 1].t : t1);
  const per = (value) => series.map((v) => ({ label: v.transform, points: filled(v.points, value, until(v)) }));
  const classes = new Set();
  for (const v of series) for (const p of v.points) for (const c of Object.keys(p.classes || {})) classes.add(c);
  const errors = [];
  for (const v of series) for (const c of classes) errors.push({ label: `${v.transform} ${c}`, points: filled(v.points, (p) => (p.classes || {})[c] || 0, until(v)) });
  const latency = [];
  for (const v of series) {
    latency.push({ label: `${v.transform} p50`, points: sparse(v.points, (p) => p.p50_ns) });
    latency.push({ label: `${v.transform} p99`, points: sparse(v.points, (p) => p.p99_ns) });
  }
  return el("div", { class: "plots" },
    plot("records/s", per((p) => p.records), t0, t1, human),
    plot("errors/s by class", errors, t0, t1, human),
    plot("fuel per record", series.map((v) => ({ label: v.transform, points: sparse(v.points, (p) => p.fuel_per_record) })), t0, t1, human),
    plot("batch latency p50/p99", latency, t0, t1, duration),
    plot("instance replacements/s", per((p) => p.replaced || 0), t0, t1, human),
  );
}

function timeline(history) {
  if (!history || history.length === 0) return el("p", { class: "empty" }, "no swap yet");
  const t = el("table", { class: "timeline" });
  t.append(el("tr", {}, el("th", {}, "when"), el("th", {}, "outcome"), el("th", {}, "from → to"), el("th", {}, "took"), el("th", {}, "class"), el("th", {}, "reason")));
  for (const ev of [...history].reverse()) {
    const took = ev.took_ms ? ev.took_ms.toFixed(0) + " ms" : "";
    const again = ev.repeats ? ` (×${ev.repeats + 1})` : "";
    t.append(el("tr", { class: "event outcome-" + ev.outcome, "data-outcome": ev.outcome, "data-to": ev.to || "" },
      el("td", {}, when(ev.at)), el("td", {}, ev.outcome + again), el("td", {}, (ev.from ? ev.from + " → " : "") + (ev.to || "")),
      el("td", {}, took), el("td", {}, ev.class || ""), el("td", { class: "reason" }, ev.reason || "")));
  }
  return t;
}

function table(head, rows, empty) {
  if (rows.length === 0) return el("p", { class: "empty" }, empty);
  const t = el("table");
  t.append(el("tr", {}, ...head.map((h) => el("th", {}, h))));
  for (const r of rows) t.append(el("tr", {}, ...r.map((c) => el("td", { class: "reason" }, String(c)))));
  return t;
}

function section(tr, now, span) {
  const s = tr.serving, p = tr.previous, pool = tr.pool;
  const box = el("section", { class: "transform", "data-transform": tr.name });
  box.append(el("h2", {}, tr.name));
  box.append(dl([
    ["serving", s.transform],
    ["module digest", s.module_digest, { "data-serving-digest": s.module_digest }],
    ["artifact", s.id],
    ["origin", s.origin],
    ["signer", tr.serving_signer || "unsigned"],
    ["since", when(s.since)],
    ["previous", p ? `${p.transform} ${short(p.module_digest)} (${p.origin})` : "none"],
    ["source", `${tr.source}${tr.watching ? ", watched" : ""}${tr.pinned ? ", pinned" : ""}`],
    ["pool", `${pool.instances} instances, ${pool.replaced} replaced, timeout ${pool.timeout}, fuel ${pool.fuel || "unmetered"}`],
  ]));
  box.append(plots(tr, now, span));
  box.append(el("h3", {}, "swap timeline"), timeline(tr.history));
  box.append(el("h3", {}, "rejected digests"),
    table(["digest", "why"], Object.entries(tr.rejected || {}), "none"));
  box.append(el("h3", {}, `dead-letter (last ${Math.round(span / 60)} min)`),
    table(["class", "records"], Object.entries(tr.dead_letter || {}), "no record flagged"));
  return box;
}

function render(view) {
  const main = document.getElementById("transforms");
  const boxes = (view.transforms || []).map((tr) => section(tr, view.now, view.seconds));
  if (boxes.length === 0) boxes.push(el("p", { class: "empty" }, "no transform in this process"));
  main.replaceChildren(...boxes);
}

async function poll() {
  const state = document.getElementById("state");
  try {
    const r = await fetch("series", { cache: "no-store", credentials: "same-origin" });
    if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
    const view = await r.json();
    render(view);
    state.className = "";
    state.textContent = "updated " + new Date(view.now).toLocaleTimeString();
  } catch (e) {
    state.className = "stale";
    state.textContent = "not updated: " + e.message + " (is weir still running?)";
  }
  setTimeout(poll, POLL_MS);
}

poll();
