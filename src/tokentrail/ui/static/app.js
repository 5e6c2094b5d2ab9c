// tokentrail's pages work without this file; it adds copying, the keyboard tree, span selection in
// place and the live tail. No dependencies.
"use strict";

// --- copy buttons: data-copy="text" or data-copy-from="element id" ---------------------------------
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement("textarea");  // no clipboard permission: the old way
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = button.dataset.copyFrom ? document.getElementById(button.dataset.copyFrom) : null;
  await copyText(source ? source.textContent : button.dataset.copy || "");
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1200);
});

// --- the span tree: selection, expand/collapse, keyboard -------------------------------------------
// The selected span's detail panel, put in place, and its id in the address.
async function openSpan(tree, spanId) {
  const detail = document.getElementById("detail");
  const project = tree.dataset.project;
  const url = `/traces/${tree.dataset.traceId}/spans/${spanId}` + (project ? `?project=${encodeURIComponent(project)}` : "");
  detail.classList.add("loading");
  const response = await fetch(url);
  detail.innerHTML = await response.text();
  detail.classList.remove("loading");
  const address = new URL(location.href);
  address.searchParams.set("span", spanId);
  history.replaceState(null, "", address);
}

function setupTree(tree) {
  const rows = () => Array.from(tree.querySelectorAll('[role="treeitem"]'));
  const visible = () => rows().filter((row) => !row.classList.contains("hidden"));
  const depth = (row) => Number(row.dataset.depth);

  function descendants(row) {
    const found = [];
    for (let next = row.nextElementSibling; next && depth(next) > depth(row); next = next.nextElementSibling) {
      found.push(next);
    }
    return found;
  }

  function setExpanded(row, open) {
    if (!row.hasAttribute("aria-expanded")) return;
    row.setAttribute("aria-expanded", String(open));
    let hiddenBelow = Infinity;  // inside a collapsed child, rows stay hidden
    for (const child of descendants(row)) {
      if (depth(child) <= hiddenBelow) hiddenBelow = Infinity;
      const hide = !open || depth(child) > hiddenBelow;
      child.classList.toggle("hidden", hide);
      if (!hide && child.getAttribute("aria-expanded") === "false") hiddenBelow = depth(child);
    }
  }

  function focus(row) {
    for (const other of rows()) other.tabIndex = -1;
    row.tabIndex = 0;
    row.focus();
  }

  function select(row) {
    for (const other of tree.querySelectorAll('[aria-selected="true"]')) other.setAttribute("aria-selected", "false");
    row.setAttribute("aria-selected", "true");
    focus(row);
    openSpan(tree, row.dataset.spanId);
  }

  tree.addEventListener("click", (event) => {
    const row = event.target.closest('[role="treeitem"]');
    if (!row) return;
    event.preventDefault();
    if (event.target.closest(".toggle")) {
      setExpanded(row, row.getAttribute("aria-expanded") === "false");
      focus(row);
    } else {
      select(row);
    }
  });

  tree.addEventListener("keydown", (event) => {
    const row = event.target.closest('[role="treeitem"]');
    if (!row) return;
    const shown = visible();
    const at = shown.indexOf(row);
    const open = row.getAttribute("aria-expanded");
    let target = null;
    switch (event.key) {
      case "ArrowDown": target = shown[at + 1]; break;
      case "ArrowUp": target = shown[at - 1]; break;
      case "Home": target = shown[0]; break;
      case "End": target = shown[shown.length - 1]; break;
      case "ArrowRight":
        if (open === "false") setExpanded(row, true);
        else if (open === "true") target = shown[at + 1];
        break;
      case "ArrowLeft":
        if (open === "true") setExpanded(row, false);
        else target = shown.slice(0, at).reverse().find((other) => depth(other) < depth(row));
        break;
      case "Enter":
      case " ":
        select(row);
        break;
      default:
        return;
    }
    event.preventDefault();
    if (target) focus(target);
  });
}

// --- live tail: new traces from /api/v1/traces/live (server-sent events) ---------------------------
function usd(amount) {
  const value = Number(amount);
  if (value >= 1) return "$" + value.toLocaleString("en-US", { minimumFractionDigits: 4, maximumFractionDigits: 4 });
  if (value > 0 && value < 0.000001) return "$" + value.toFixed(12).replace(/0+$/, "");
  return "$" + value.toFixed(6);
}

function duration(ns) {
  const ms = ns / 1e6;
  if (ms < 1) return ms.toFixed(2) + " ms";
  return ms < 10000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(1) + " s";
}

function tokens(count) {
  return count >= 1e6 ? (count / 1e6).toFixed(1) + "M" : count.toLocaleString("en-US");
}

function cell(row, text, className) {
  const td = row.insertCell();
  if (className) td.className = className;
  if (text instanceof Node) td.append(text); else td.textContent = text;
  return td;
}

// A trace's scores by name, as the list's template shows them (ui/format.py score_badge).
function scoreBadges(badges) {
  const cellContent = document.createDocumentFragment();
  for (const badge of badges) {
    const span = document.createElement("span");
    span.className = "score-badge";
    const value = document.createElement("strong");
    if (badge.data_type === "categorical") value.textContent = [...new Set(badge.categories)].join(", ");
    else if (badge.data_type === "boolean" && badge.value !== null) {
      value.textContent = badge.count === 1 ? (badge.value ? "true" : "false") : `${Math.round(badge.value * 100)}% true`;
    } else value.textContent = badge.value === null ? "" : String(Number(badge.value.toPrecision(3)));
    span.append(badge.name + " ", value);
    cellContent.append(span);
  }
  return cellContent;
}

function traceRow(trace, project) {
  const row = document.createElement("tr");
  row.dataset.traceId = trace.trace_id;
  row.className = "fresh" + (trace.error_count ? " failed" : "");
  const link = document.createElement("a");
  link.href = `/traces/${trace.trace_id}` + (project ? `?project=${encodeURIComponent(project)}` : "");
  link.textContent = trace.name || "(unnamed)";
  const pick = document.createElement("input");
  pick.type = "checkbox";
  pick.className = "pick";
  pick.value = trace.trace_id;
  pick.setAttribute("aria-label", `Select ${trace.name || "trace"} at ${trace.start_time}`);
  const name = cell(row, pick);
  name.append(" ", link);
  const notes = [];
  if (trace.session_id) notes.push(" session " + trace.session_id);
  if (trace.services.length > 1) notes.push(` ${trace.services.length} services`);
  for (const text of notes) {
    const note = document.createElement("span");
    note.className = "sub";
    note.textContent = text;
    name.append(note);
  }
  const time = document.createElement("time");
  time.dateTime = trace.start_time;
  time.textContent = trace.start_time.slice(0, 19).replace("T", " ");
  cell(row, time);
  cell(row, duration(trace.duration_ns), "num");
  cell(row, String(trace.span_count), "num");
  cell(row, tokens(trace.tokens), "num");
  cell(row, usd(trace.cost), "num");
  cell(row, scoreBadges(trace.scores || []), "scores");
  const status = document.createElement("span");
  status.className = trace.error_count ? "status error" : "status ok";
  status.textContent = trace.error_count ? `✗ ${trace.error_count} error${trace.error_count > 1 ? "s" : ""}` : "ok";
  cell(row, status);
  return row;
}

function setupLive(button) {
  const table = document.getElementById("traces");
  const status = document.getElementById("live-status");
  let source = null;
  let seen = 0;
  button.addEventListener("click", () => {
    if (source) {
      source.close();
      source = null;
      button.setAttribute("aria-pressed", "false");
      status.textContent = "Live tail off.";
      return;
    }
    const project = button.dataset.project;
    source = new EventSource("/api/v1/traces/live" + (project ? `?project=${encodeURIComponent(project)}` : ""));
    button.setAttribute("aria-pressed", "true");
    status.textContent = "Live tail on: new traces appear at the top.";
    source.addEventListener("trace", (event) => {
      const trace = JSON.parse(event.data);
      const body = table.tBodies[0];
      const existing = body.querySelector(`tr[data-trace-id="${trace.trace_id}"]`);
      const row = traceRow(trace, project);
      if (existing) existing.replaceWith(row); else body.prepend(row);
      table.hidden = false;
      for (const empty of document.querySelectorAll(".empty, p.none")) empty.hidden = true;
      seen += existing ? 0 : 1;
      status.textContent = `Live tail on: ${seen} new trace${seen === 1 ? "" : "s"}.`;
    });
    source.addEventListener("reset", () => location.reload());
  });
}

// --- panels that load after their page: <section data-panel="url"> is replaced by the url's HTML ------
async function loadPanel(placeholder) {
  try {
    const response = await fetch(placeholder.dataset.panel);
    if (!response.ok) throw new Error(`${response.status}`);
    placeholder.outerHTML = await response.text();
  } catch (error) {
    placeholder.removeAttribute("aria-busy");
    placeholder.querySelector("p").textContent = `Could not load this panel (${error.message}); reload the page to retry.`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const placeholder of document.querySelectorAll("[data-panel]")) loadPanel(placeholder);
  const tree = document.getElementById("tree");
  if (tree && tree.classList.contains("virtual")) setupLargeTree(tree);
  else if (tree) setupTree(tree);
  const live = document.getElementById("live");
  if (live) setupLive(live);
});

// --- budgets: the navigation's badge of alerts fired this period, and the new-budget form -----------
async function budgetBadge() {
  const link = document.querySelector('header nav a[href^="/budgets"]');
  if (!link) return;
  const project = new URL(link.href).searchParams.get("project");
  const response = await fetch("/api/v1/budgets/alerts" + (project ? "?project=" + encodeURIComponent(project) : ""));
  if (!response.ok) return;  // a key without the read right, say: no badge
  const { alerts } = await response.json();
  if (!alerts.length) return;
  const badge = document.createElement("span");
  badge.className = "nav-badge";
  badge.textContent = String(alerts.length);
  badge.title = `${alerts.length} budget alert${alerts.length === 1 ? "" : "s"} this period`;
  link.append(badge);
}
budgetBadge();

document.getElementById("budget-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const field = (name) => form.elements[name].value.trim();
  const body = {
    project: form.dataset.project,
    name: field("name"),
    scope: { kind: field("scope_kind"), value: field("scope_value") },
    period: field("period"),
    amount: field("amount"),
    thresholds: field("thresholds").split(",").map((t) => t.trim()).filter(Boolean),
    webhook_url: field("webhook_url"),
  };
  const response = await fetch("/api/v1/budgets", {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": form.dataset.csrf },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) {
    document.getElementById("budget-message").textContent = answer.error.message;
    return;
  }
  const secret = answer.webhook_secret ? ` Webhook secret (shown once): ${answer.webhook_secret}` : "";
  document.getElementById("budget-message").textContent = `Created.${secret}`;
  if (!secret) window.location.reload();
});
