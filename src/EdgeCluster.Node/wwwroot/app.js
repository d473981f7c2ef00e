// The dashboard: plain JavaScript, one file, no build step. Views: cluster and devices (#/), one device (#/device/ID),
// the consistency lab (#/lab).
// Live updates come from GET /api/events (Server-Sent Events); the page fetches again only when an event says so.
"use strict";

const state = { cluster: null, devices: new Map(), trends: new Map(), view: null, events: null, refetch: null, lab: null };
const $ = (sel, root = document) => root.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

// A time in the viewer's zone, UTC on hover.
function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return `<time datetime="${esc(iso)}" title="${esc(d.toISOString())} UTC">${esc(d.toLocaleString())}</time>`;
}

function num(v, unit, digits = 1) { return v == null ? "—" : `${Number(v).toFixed(digits)} ${unit}`; }

// ---------------------------------------------------------------- cluster and devices
async function loadCluster() {
  state.cluster = await api("/api/cluster");
  renderSelf();
  if (state.view === "home") renderMembers();
}

function renderSelf() {
  const c = state.cluster;
  if (!c) return;
  const unreachable = c.unreachable.length;
  const cut = unreachable > 0 && unreachable * 2 >= c.members.length;
  // Not Up (joining, or starting again after it was downed): say so as plainly as a cut.
  const rejoining = c.self.status !== "Up";
  const el = $("#self");
  el.className = "self" + (cut ? " cut" : rejoining ? " rejoining" : "");
  el.textContent = `${c.self.node_name ?? c.self.address} · ${c.self.status}` +
    (cut ? " · cut off from the majority" : rejoining ? " · not a member now: joining or rejoining" : unreachable ? ` · ${unreachable} unreachable` : "");
}

function renderMembers() {
  const c = state.cluster, body = $("#members tbody");
  if (!c || !body) return;
  const unreachable = new Set(c.unreachable);
  const byName = [...c.members].sort((a, b) => String(a.node_name ?? a.address).localeCompare(String(b.node_name ?? b.address)));
  body.innerHTML = byName.map((m) => {
    const me = m.address === c.self.address;
    const reach = unreachable.has(m.address) || !m.reachable ? "unreachable" : "reachable";
    const since = reach === "unreachable" && m.unreachable_since ? ` since ${time(m.unreachable_since)}` : "";
    const marks = [me ? "this member" : "", m.address === c.leader ? "leader" : "", m.address === c.oldest ? "oldest" : ""].filter(Boolean).join(", ");
    const lag = c.version_vector[m.node_name]?.lag;
    return `<tr data-member="${esc(m.node_name)}" class="${me ? "me" : ""}">
      <td>${esc(m.node_name ?? m.address)}</td><td><span class="badge ${esc(m.status)}">${esc(m.status)}</span></td>
      <td class="${reach}" data-reach="${reach}">${reach}${since}</td><td class="opt">${esc(m.roles.join(", "))}</td>
      <td>${esc(marks)}</td><td class="num opt" title="readings of this member's stream not here yet">${lag ?? "—"}</td></tr>`;
  }).join("");
  const cuts = $("#cuts");
  if (cuts) cuts.innerHTML = c.cuts.length === 0 ? "No links cut by this member."
    : `Links this member has cut: ${c.cuts.map((l) => `<span class="cutlink" data-cut="${esc(l.node_name ?? l.peer)}">${esc(l.node_name ?? l.peer)}
        since ${time(l.since)} (${esc(l.reason)})</span>`).join(", ")}.`;
}

async function loadDevices() {
  const [list, latest] = await Promise.all([api("/api/devices"), api("/api/latest")]);
  state.devices.clear();
  for (const d of list.devices) state.devices.set(d.device_id, { ...d, latest: null });
  for (const r of latest.readings) {
    const d = state.devices.get(r.device_id) ?? { device_id: r.device_id, name: `device ${r.device_id}`, status: "online" };
    d.latest = r;
    state.devices.set(r.device_id, d);
  }
  if (state.view === "home") renderDevices();
}

function renderDevices() {
  const body = $("#devices tbody");
  if (!body) return;
  const rows = [...state.devices.values()].sort((a, b) => a.device_id - b.device_id);
  body.innerHTML = rows.map((d) => {
    const r = d.latest;
    return `<tr data-device="${d.device_id}" class="${esc(d.status)}">
      <td><a href="#/device/${d.device_id}">${d.device_id}</a></td><td>${esc(d.name)}</td>
      <td><span class="badge ${esc(d.status)}" data-status="${esc(d.status)}">${esc(d.status ?? "—")}</span></td>
      <td class="num" data-temperature>${num(r?.temperature, "°C")}</td><td class="num" data-humidity>${num(r?.humidity, "%")}</td>
      <td class="opt">${time(d.last_seen ?? r?.received_at)}</td><td class="opt">${spark(state.trends.get(d.device_id))}</td></tr>`;
  }).join("") || `<tr><td colspan="7">No devices yet: register one with POST /api/devices.</td></tr>`;
}

// Each device's hourly average temperature over the last 24 hours (from the rollups), for its sparkline.
async function loadTrends() {
  const stats = await api("/api/stats?period=hourly&hours=24");
  state.trends = new Map(stats.devices.map((d) => [d.device_id, d.buckets.map((b) => b.avg_temperature).reverse()]));
  if (state.view === "home") renderDevices();
}

function spark(values) {
  if (!values || values.length < 2) return "";
  const w = 96, h = 22, min = Math.min(...values), max = Math.max(...values), span = max - min || 1;
  const pts = values.map((v, i) => `${(i * (w - 2) / (values.length - 1) + 1).toFixed(1)},${(h - 2 - (v - min) * (h - 4) / span).toFixed(1)}`).join(" ");
  return `<svg class="spark" width="${w}" height="${h}" role="img" aria-label="hourly average temperature, 24 h: ${min.toFixed(1)} to ${max.toFixed(1)} °C">
    <title>24 h, hourly average: ${min.toFixed(1)}–${max.toFixed(1)} °C</title><polyline fill="none" stroke="currentColor" stroke-width="1.5" points="${pts}"/></svg>`;
}

function home() {
  state.view = "home";
  $("#view").innerHTML = `
    <h2>Members</h2>
    <table id="members"><thead><tr><th>member</th><th>status</th><th>reachability</th><th class="opt">roles</th><th></th><th class="num opt">lag</th></tr></thead><tbody></tbody></table>
    <p id="cuts" class="note"></p>
    <h2>Inference <small id="coordinator"></small></h2>
    <table id="workers"><thead><tr><th>worker</th><th class="opt">member</th><th>status</th><th class="num">running</th><th class="num">completed</th><th class="opt">models</th></tr></thead><tbody></tbody></table>
    <h2>Devices</h2>
    <table id="devices"><thead><tr><th>id</th><th>name</th><th>status</th><th class="num">temperature</th><th class="num">humidity</th><th class="opt">last seen</th><th class="opt">24 h</th></tr></thead><tbody></tbody></table>`;
  renderMembers();
  renderDevices();
  loadCluster().catch(console.warn);
  loadDevices().catch(console.warn);
  loadInference().catch(console.warn);
  loadTrends().catch(console.warn);
}

// The coordinator's workers (idle, busy, offline), its queues and the tasks each worker completed: the fairness it promises.
async function loadInference() {
  const r = await fetch("/api/inference/stats", { headers: { Accept: "application/json" } });
  const body = $("#workers tbody");
  if (!body) return;
  if (!r.ok) { $("#coordinator").textContent = "· no coordinator answered"; body.innerHTML = ""; return; }
  const s = await r.json();
  // Where the coordinator runs: its member's name when this member knows it, else its address.
  const host = state.cluster?.members.find((m) => m.address === s.coordinator)?.node_name ?? s.coordinator;
  $("#coordinator").textContent = `· coordinator on ${host} · queued ${s.queue.high} high, ${s.queue.medium} medium, ${s.queue.low} low · ${s.completed_tasks} completed, ${s.failed_tasks} failed`;
  body.innerHTML = s.workers.map((w) => `<tr data-worker="${esc(w.worker_id)}"><td>${esc(w.worker_id)}</td><td class="opt">${esc(w.node)}</td>
    <td><span class="badge ${w.status === "offline" ? "offline" : w.status === "busy" ? "late" : "online"}">${esc(w.status)}</span></td>
    <td class="num">${w.running}</td><td class="num">${w.completed}</td><td class="opt">${esc(w.model_types.join(", "))}</td></tr>`).join("")
    || `<tr><td colspan="6">No workers yet.</td></tr>`;
}

// ---------------------------------------------------------------- one device
const ranges = { "1h": 3600e3, "24h": 86400e3, "7d": 7 * 86400e3, "30d": 30 * 86400e3 };

async function device(id, range = "24h") {
  state.view = "device";
  $("#view").innerHTML = `
    <h2>Device ${id} <small id="device-name"></small></h2>
    <div class="toolbar">${Object.keys(ranges).map((k) => `<button data-range="${k}" aria-pressed="${k === range}">${k}</button>`).join("")}
      <a href="/api/readings/${id}?format=csv&limit=10000" download>CSV</a></div>
    <div id="chart" class="chart" role="img" aria-label="temperature over time"></div>
    <div id="chart-humidity" class="chart" role="img" aria-label="humidity over time"></div>
    <h2>Daily</h2><table id="daily"><thead><tr><th>day</th><th class="num">readings</th><th class="num">avg</th><th class="num">min</th><th class="num">max</th><th class="num">change</th></tr></thead><tbody></tbody></table>
    <h2>Hour of day (30 days, your time zone)</h2><table id="hours"><thead><tr><th>hour</th><th class="num">readings</th><th class="num">avg</th><th class="num">min</th><th class="num">max</th></tr></thead><tbody></tbody></table>
    <h2>Data quality (30 days)</h2><p id="quality"></p>
    <h2>Anomalies (|z| &gt; 2.5)</h2><table id="anomalies"><thead><tr><th>time</th><th class="num">temperature</th><th class="num">z</th></tr></thead><tbody></tbody></table>`;
  for (const b of document.querySelectorAll("[data-range]")) b.onclick = () => device(id, b.dataset.range);
  const to = Date.now(), from = to - ranges[range];
  const width = Math.max(200, $("#chart").clientWidth);
  const q = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&points=${width}`;
  const [t, h, daily, anomalies, info, hours, quality] = await Promise.all([
    api(`/api/series/${id}?field=temperature&${q}`), api(`/api/series/${id}?field=humidity&${q}`),
    api(`/api/stats/${id}?period=daily&days=30`), api(`/api/anomalies?device_id=${id}`), api(`/api/devices/${id}`).catch(() => null),
    api(`/api/stats/${id}?period=hour-of-day&days=30`), api(`/api/quality?device_id=${id}&days=30&expected_interval_s=${info0(id)}`)]);
  if (info) $("#device-name").textContent = `${info.name} · ${info.status ?? ""}`;
  drawChart($("#chart"), t, "temperature", "°C", "#cf222e", width, anomalies.anomalies.filter((a) => a.field === "temperature"));
  drawChart($("#chart-humidity"), h, "humidity", "%", "#0969da", width, []);
  $("#daily tbody").innerHTML = daily.buckets.map((b) => `<tr><td>${esc(b.bucket)}</td><td class="num">${b.count}</td>
    <td class="num">${num(b.avg_temperature, "°C")}</td><td class="num">${num(b.min_temperature, "°C")}</td><td class="num">${num(b.max_temperature, "°C")}</td>
    <td class="num">${b.temperature_change == null ? "—" : num(b.temperature_change, "°C")}</td></tr>`).join("");
  // The API's hours are UTC; shown in the viewer's zone.
  const offset = -new Date().getTimezoneOffset() / 60;
  $("#hours tbody").innerHTML = hours.buckets.map((b) => ({ ...b, local: ((b.hour + offset) % 24 + 24) % 24 })).sort((a, b) => a.local - b.local)
    .map((b) => `<tr><td title="${b.hour}:00 UTC">${String(Math.floor(b.local)).padStart(2, "0")}:00</td><td class="num">${b.count}</td>
      <td class="num">${num(b.avg_temperature, "°C")}</td><td class="num">${num(b.min_temperature, "°C")}</td><td class="num">${num(b.max_temperature, "°C")}</td></tr>`).join("");
  const mine = quality.devices.find((d) => d.device_id === id);
  $("#quality").innerHTML = mine && mine.total_readings > 0
    ? `${mine.total_readings} readings from ${time(mine.first_reading)} to ${time(mine.last_reading)} on ${mine.days_active} days; completeness
       <strong data-completeness>${(mine.completeness * 100).toFixed(1)} %</strong> of one every ${quality.expected_interval_s} s` +
      (mine.gaps.length ? `; longest gap ${time(mine.gaps[0].start)} – ${time(mine.gaps[0].end)} (${mine.gaps[0].missing} missing)` : "")
    : "No raw readings in the last 30 days.";
  $("#anomalies tbody").innerHTML = anomalies.anomalies.map((a) => `<tr><td>${time(a.timestamp)}</td><td class="num">${num(a.value, "°C")}</td><td class="num">${a.z_score}</td></tr>`).join("")
    || `<tr><td colspan="3">none in the raw readings${anomalies.oldest_raw ? " since " + time(anomalies.oldest_raw) : ""}</td></tr>`;
}

// The expected interval quality measures against: the device's registered or learned one, else the lab's 300 s.
function info0(id) { return state.devices.get(id)?.interval_s ?? 300; }

// One field over time, each chart with its own LTTB points (the two fields' kept points differ); anomalies as points.
function drawChart(el, series, field, unit, color, width, anomalies) {
  el.innerHTML = "";
  el.dataset.points = String(series.series.length);
  if (series.series.length === 0) { el.textContent = `No ${field} readings in this range.`; return; }
  const xs = series.series.map((p) => p[0] / 1000);
  const marks = new Map(anomalies.map((a) => [Math.round(Date.parse(a.timestamp) / 1000), a.value]));
  const data = [xs, series.series.map((p) => p[1]), xs.map((x) => marks.get(Math.round(x)) ?? null)];
  new uPlot({
    width, height: 220,
    series: [{}, { label: `${field} ${unit}`, stroke: color }, { label: "anomaly", stroke: "transparent", points: { show: true, size: 8, fill: "#000" } }],
    axes: [{}, { label: unit }],
  }, data, el);
}

// ---------------------------------------------------------------- the consistency lab
// The lab's CAP demo against the real cluster: write a key on this member (eventual or strong), read it on every member
// (each member's own read), see siblings and their vector clocks, resolve by last-writer-wins.
function lab() {
  state.view = "lab";
  const key = state.lab ?? "setpoint";
  $("#view").innerHTML = `
    <h2>Consistency lab</h2>
    <p class="note">Writes go to this member. <b>eventual</b> is acknowledged by this member alone and spreads by gossip;
      <b>strong</b> needs a majority of the members and is refused (503) without one. Cut a member off
      (<code>edgectl partition isolate</code>), write on both sides, and watch the siblings appear, then converge after the heal.</p>
    <form id="kv-form" class="toolbar">
      <label>key <input id="kv-key" value="${esc(key)}" size="14" required maxlength="200"></label>
      <label>value <input id="kv-value" value="21.5" size="10" required></label>
      <label>consistency <select id="kv-consistency"><option>eventual</option><option>strong</option></select></label>
      <button type="submit">Write here</button>
      <button type="button" id="kv-read">Read on every member</button>
      <button type="button" id="kv-resolve" title="write the last writer's value here: it supersedes every sibling this member holds">Resolve (LWW)</button>
    </form>
    <p id="kv-outcome" role="status"></p>
    <table id="kv-members"><thead><tr><th>member</th><th>value</th><th>siblings (value · vector clock · writer · written)</th></tr></thead><tbody></tbody></table>`;
  const keyOf = () => $("#kv-key").value.trim();
  $("#kv-form").onsubmit = (e) => { e.preventDefault(); labWrite(keyOf(), parseValue($("#kv-value").value), $("#kv-consistency").value).catch(console.warn); };
  $("#kv-read").onclick = () => labRead(keyOf()).catch(console.warn);
  $("#kv-resolve").onclick = () => labResolve(keyOf()).catch(console.warn);
  labRead(key).catch(console.warn);
}

// A number, object or quoted string is JSON; anything else is taken as text.
function parseValue(text) { try { return JSON.parse(text); } catch { return text; } }

// On a lab with device tokens on, the dashboard's writes need the admin token: asked once when a write is refused
// with 401, kept for this tab only (sessionStorage), sent as a bearer token.
async function adminFetch(url, init) {
  const withToken = () => {
    const token = sessionStorage.getItem("edge.admin-token");
    return token ? { ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } } : init;
  };
  let r = await fetch(url, withToken());
  if (r.status === 401) {
    const token = window.prompt("This lab needs the admin token for writes (EDGE_ADMIN_TOKEN):");
    if (token) {
      sessionStorage.setItem("edge.admin-token", token);
      r = await fetch(url, withToken());
    }
  }
  return r;
}

async function labWrite(key, value, consistency) {
  state.lab = key;
  const r = await adminFetch(`/api/kv/${encodeURIComponent(key)}?consistency=${consistency}`,
    { method: "PUT", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify({ value }) });
  const body = await r.json();
  const out = $("#kv-outcome");
  if (out) {
    out.dataset.status = String(r.status);
    out.textContent = r.ok
      ? `${consistency} write acknowledged (${r.status})` + (body.required ? `: a majority of ${body.required} of ${body.members} members` : " by this member")
      : `${consistency} write refused (${r.status}): ${body.error}`;
  }
  labFollow(key);
}

async function labResolve(key) {
  const r = await fetch(`/api/kv/${encodeURIComponent(key)}?resolve=lww`, { headers: { Accept: "application/json" } });
  if (!r.ok) { $("#kv-outcome").textContent = `nothing to resolve (${r.status})`; return; }
  const body = await r.json();
  await labWrite(key, body.value, "eventual");
  $("#kv-outcome").textContent += body.resolved ? ` · resolved ${body.siblings.length} siblings to the last writer's value` : " · there was one value";
}

// Read again a few times after a change, to show the members converging; never a tight loop.
function labFollow(key) {
  clearTimeout(state.labTimer);
  const delays = [0, 500, 1500, 3000, 6000];
  const next = (i) => { if (i < delays.length && state.view === "lab") state.labTimer = setTimeout(() => labRead(key).then(() => next(i + 1), console.warn), delays[i] - (delays[i - 1] ?? 0)); };
  next(0);
}

async function labRead(key) {
  state.lab = key;
  const all = await api(`/api/kv/${encodeURIComponent(key)}?members=all`);
  const body = $("#kv-members tbody");
  if (!body || state.view !== "lab") return;
  const show = (v) => esc(JSON.stringify(v));
  body.innerHTML = all.members.map((m) => {
    const a = m.answer;
    let value, siblings = "";
    if (m.status === 200 && a) {
      value = a.conflict ? `<span class="late">conflict: ${a.siblings.length} siblings</span>` : `<span data-value>${show(a.value)}</span>`;
      siblings = a.siblings.map((s) => `<div class="sibling">${show(s.value)} · <code>${esc(Object.entries(s.vector_clock).map(([n, c]) => `${n}:${c}`).join(" "))}</code>
        · ${esc(s.writer)} · ${time(s.written_at)}</div>`).join("");
    } else if (m.status === 404) value = `<span class="muted">no value</span>`;
    else value = `<span class="offline">${esc(m.error ?? a?.error ?? `answered ${m.status}`)}</span>`;
    return `<tr data-member="${esc(m.member)}" data-siblings="${a?.siblings?.length ?? 0}" class="${m.self ? "me" : ""}">
      <td>${esc(m.member)}${m.self ? " (this member)" : ""}${m.reachable ? "" : ` <span class="unreachable">unreachable</span>`}</td>
      <td>${value}</td><td>${siblings}</td></tr>`;
  }).join("");
}

// ---------------------------------------------------------------- live updates
function connect() {
  const source = new EventSource("/api/events");
  state.events = source;
  source.onopen = () => { $("#live").className = "live on"; $("#live").textContent = "● live"; };
  source.onerror = () => { $("#live").className = "live"; $("#live").textContent = "○ reconnecting"; };
  source.addEventListener("reading", (e) => {
    const r = JSON.parse(e.data);
    const d = state.devices.get(r.device_id) ?? { device_id: r.device_id, name: `device ${r.device_id}`, status: "online" };
    if (!d.latest || d.latest.timestamp <= r.timestamp) d.latest = r;
    d.last_seen = r.received_at;
    state.devices.set(r.device_id, d);
    if (state.view === "home") renderDevices();
  });
  source.addEventListener("status", (e) => {
    const s = JSON.parse(e.data);
    const d = state.devices.get(s.device_id);
    if (d) { d.status = s.to; if (s.last_seen) d.last_seen = s.last_seen; }
    else loadDevices().catch(console.warn);
    if (state.view === "home") renderDevices();
  });
  // Membership, reachability and cut links: look at the cluster again (and the lab's members), at most every 200 ms.
  const changed = () => {
    clearTimeout(state.refetch);
    state.refetch = setTimeout(() => {
      loadCluster().catch(console.warn);
      if (state.view === "lab" && state.lab) labRead(state.lab).catch(console.warn);
    }, 200);
  };
  source.addEventListener("members", changed);
  source.addEventListener("partition", changed);
}

function route() {
  const m = location.hash.match(/^#\/device\/(\d+)/);
  if (m) device(Number(m[1])).catch((e) => { $("#view").textContent = e.message; });
  else if (location.hash === "#/lab") lab();
  else home();
}

window.addEventListener("hashchange", route);
connect();
route();
// Links cut by the partition controller raise no cluster event until the failure detector notices: look again now and then.
setInterval(() => {
  loadCluster().catch(console.warn);
  if (state.view === "home") loadInference().catch(console.warn);
}, 5000);
// The sparklines are hourly averages: once a minute is often enough.
setInterval(() => { if (state.view === "home") loadTrends().catch(console.warn); }, 60000);
