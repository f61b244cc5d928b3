// The ops page: reads the JSON API next to it and renders with DOM text nodes (never HTML
// from data), except the chart SVG, which the server builds with every label escaped.
"use strict";

const LATE_SECONDS = 3600;  // lag shown in red beyond an hour

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function when(iso) {
  return iso ? iso.replace("T", " ").replace(/(:\d\d)(\.\d+)?Z$/, "$1 UTC") : "—";
}

function lag(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const ahead = seconds < 0;
  let s = Math.abs(seconds);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60);
  const text = d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
  return ahead ? `${text} ahead (future-dated)` : text;
}

async function getJSON(url, options) {
  const response = await fetch(url, { credentials: "same-origin", ...options });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${response.status}: ${body.detail || response.statusText}`);
  return body;
}

function showError(error) {
  const box = document.getElementById("error");
  box.textContent = error ? String(error.message || error) : "";
  box.hidden = !error;
}

function sum(values) { return values.reduce((a, b) => a + b, 0); }

function renderSources(sources) {
  const cards = document.getElementById("source-cards");
  cards.replaceChildren(...sources.map((s) => {
    const chart = el("div", { class: "chart-box", "data-source": s.source });
    chart.innerHTML = s.chart_svg;  // server-built SVG, labels escaped
    const late = s.lag_seconds !== null && s.lag_seconds > LATE_SECONDS;
    return el("article", { class: "card", "data-source": s.source },
      el("h3", {}, s.source),
      el("dl", {},
        el("dt", {}, "Last window"),
        s.window
          ? el("dd", { class: "window", title: s.window.position },
              `${s.window.position.split("/").pop()} (${when(s.window.at)})`)
          : el("dd", { class: "window" }, "none yet"),
        el("dt", {}, "Newest item"),
        el("dd", {}, when(s.newest_item)),
        el("dt", {}, "Lag"),
        el("dd", { class: late ? "lag lag-late" : "lag" }, lag(s.lag_seconds)),
        el("dt", {}, "Last 24 h"),
        el("dd", { class: "totals" },
          `${sum(s.ingested)} ingested, ${sum(s.quarantined)} quarantined`)),
      chart);
  }));
}

function seconds(value) {
  if (value === null || value === undefined) return "—";
  return value >= 10 ? `${Math.round(value)} s` : `${value.toFixed(1)} s`;
}

function renderLatency(latency) {
  const label = (source) => (source === "all" ? "every source" : source);
  document.getElementById("latency-charts").replaceChildren(...latency.charts.map((c) => {
    const chart = el("div", { class: "chart-box" });
    chart.innerHTML = c.svg;  // server-built SVG, labels escaped
    return el("article", { class: "card latency", "data-latency-source": c.source },
      el("h3", {}, label(c.source)), chart);
  }));
  const rows = latency.last_hour;
  document.getElementById("latency-rows").replaceChildren(...(rows.length ? rows.map((r) =>
    el("tr", { "data-latency-source": r.source, "data-class": r.class },
      el("td", {}, label(r.source)),
      el("td", {}, r.class === "all" ? "every class" : r.class),
      el("td", { class: "num count" }, r.count),
      el("td", { class: "num recorded-p50" }, seconds(r.recorded_p50)),
      el("td", { class: "num recorded-p95" }, seconds(r.recorded_p95)),
      el("td", { class: "num published-p50" }, seconds(r.published_p50)),
      el("td", { class: "num published-p95" }, seconds(r.published_p95)),
      el("td", { class: "num waiting" }, r.waiting)))
    : [el("tr", {}, el("td", { colspan: "8", class: "meta" }, "nothing recorded in the last hour"))]));
}

function renderPartners(partners) {
  const rows = [];
  for (const p of partners) {
    p.formats.forEach((f, i) => {
      const first = i === 0;
      const span = { rowspan: String(p.formats.length) };
      const kill = p.last_kill
        ? `${p.last_kill.uri} v${p.last_kill.version} (${p.last_kill.format}, ${when(p.last_kill.at)})` : "none";
      const push = p.push
        ? `${p.push.delivered} delivered, ${p.push.unsettled} not settled` +
          (p.push.oldest_unsettled ? ` (oldest ${when(p.push.oldest_unsettled)})` : "") +
          (p.push.failing ? `, ${p.push.failing} failing` : "") +
          (p.push.given_up ? `, ${p.push.given_up} given up` : "") +
          (p.push.refused ? `, ${p.push.refused} refused` : "") +
          (p.push.last_attempt ? `; last attempt ${when(p.push.last_attempt)}` : "") +
          (p.push.last_error ? `; last error: ${p.push.last_error}` : "")
        : "no push";
      rows.push(el("tr", { class: first ? "group" : "", "data-partner": p.id, "data-format": f.format },
        first ? el("td", span, el("strong", {}, p.name), el("br"), el("code", {}, p.id)) : null,
        el("td", {}, el("a", { href: f.url, target: "_blank", rel: "noopener" }, f.format)),
        el("td", {}, when(f.updated)),
        el("td", { class: "num items" }, f.items),
        el("td", { class: "num kills" }, f.kills),
        el("td", {}, when(f.last_delivery)),
        first ? el("td", { ...span, class: "detail" }, kill) : null,
        first ? el("td", { ...span, class: p.push && (p.push.unsettled || p.push.given_up) ? "push lag-late" : "push" }, push) : null));
    });
  }
  document.getElementById("partner-rows").replaceChildren(...rows);
}

function renderPushProblems(problems) {
  document.getElementById("push-problem-rows").replaceChildren(...(problems.length ? problems.map((f) =>
    el("tr", { "data-partner": f.partner, "data-result": f.result },
      el("td", {}, el("code", {}, f.partner)),
      el("td", { class: "detail" }, `${f.uri} v${f.version}${f.kind === "kill" ? " (kill)" : ""}`),
      el("td", {}, el("span", { class: f.result === "given_up" ? "badge given-up" : "badge pending" },
        f.result === "given_up" ? "given up" : "failing")),
      el("td", { class: "num" }, f.attempts),
      el("td", {}, when(f.first_at)),
      el("td", {}, when(f.last_at)),
      el("td", { class: "detail" }, f.error || "")))
    : [el("tr", {}, el("td", { colspan: "7", class: "meta" }, "no push failing"))]));
}

function renderPublished(published) {
  document.getElementById("published-rows").replaceChildren(...(published.length ? published.map((a) =>
    el("tr", {},
      el("td", {}, when(a.received_at)),
      el("td", { class: "detail" }, a.uri),
      el("td", { class: "num" }, a.version),
      el("td", {}, a.status),
      el("td", { class: "detail" }, el("code", {}, a.key))))
    : [el("tr", {}, el("td", { colspan: "5", class: "meta" }, "nothing published yet"))]));
}

function fillSelect(select, values) {
  const current = select.value;
  select.replaceChildren(el("option", { value: "" }, "all"),
    ...values.map((v) => el("option", { value: v }, v)));
  select.value = values.includes(current) ? current : "";
}

async function loadQuarantine() {
  const form = document.getElementById("filters");
  const params = new URLSearchParams({ source: form.source.value, reason: form.reason.value });
  const data = await getJSON(`api/quarantine?${params}`);
  const unique = (key) => [...new Set(data.facets.map((f) => f[key]))].sort();
  fillSelect(form.source, unique("source"));
  fillSelect(form.reason, unique("reason"));
  const pending = data.items.filter((q) => !q.replayed).length;
  document.getElementById("quarantine-count").textContent =
    `${data.items.length} shown, ${pending} waiting for replay`;
  document.getElementById("quarantine-rows").replaceChildren(...(data.items.length ? data.items.map((q) =>
    el("tr", { "data-reason": q.reason, "data-source": q.source },
      el("td", {}, when(q.last_seen)),
      el("td", {}, q.source),
      el("td", {}, el("code", {}, q.reason)),
      el("td", { class: "detail" }, q.detail),
      el("td", { class: "num" }, q.attempts),
      el("td", {}, el("span", { class: q.replayed ? "badge replayed" : "badge pending" },
        q.replayed ? "replayed" : "pending")),
      el("td", { class: "actions" },
        q.has_raw ? el("button", { type: "button", onclick: () => viewRaw(q.raw_key) }, "View raw") : null,
        q.has_raw ? el("button", { type: "button", class: "replay", onclick: (e) => replay(q.raw_key, e.target) }, "Replay") : null)))
    : [el("tr", {}, el("td", { colspan: "7", class: "meta" }, "nothing in quarantine"))]));
}

async function viewRaw(key) {
  try {
    const raw = await getJSON(`api/quarantine/raw?${new URLSearchParams({ key })}`);
    document.getElementById("raw-key").textContent = raw.object;
    document.getElementById("raw-meta").textContent =
      `${raw.size} bytes, shown as ${raw.encoding}${raw.truncated ? " (truncated)" : ""}`;
    document.getElementById("raw-text").textContent = raw.text;  // text, never markup
    document.getElementById("raw").hidden = false;
    showError(null);
  } catch (error) { showError(error); }
}

async function replay(key, button) {
  button.disabled = true;
  try {
    const result = await getJSON("api/quarantine/replay", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ raw_key: key }),
    });
    const failed = Object.values(result.report.quarantined).reduce((a, b) => a + b, 0);
    showError(result.replayed ? null : `replay of ${key}: still failing (${failed} quarantined)`);
    await refresh();
  } catch (error) { showError(error); button.disabled = false; }
}

async function refresh() {
  try {
    const status = await getJSON("api/status");
    document.getElementById("now").textContent = when(status.now);
    renderSources(status.sources);
    renderLatency(status.latency);
    renderPartners(status.partners);
    renderPushProblems(status.push_problems);
    renderPublished(status.published);
    await loadQuarantine();
    document.body.dataset.loaded = "true";
  } catch (error) { showError(error); }
}

document.getElementById("refresh").addEventListener("click", refresh);
document.getElementById("filters").addEventListener("change", () => loadQuarantine().catch(showError));
refresh();
