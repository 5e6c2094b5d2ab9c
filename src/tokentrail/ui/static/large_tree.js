// The tree of a very large trace. Only the rows on screen are in the page (rows of a fixed height, and
// spacers standing for the others); a span's children load when it is expanded, a page at a time, with a
// "more spans" row for the rest; a search finds spans anywhere in the trace and opens the way down to
// each. The page's outline (#tree-outline) holds the rows it opens with. Uses app.js (usd, duration,
// tokens, openSpan), loaded before it.
"use strict";

const ROW_HEIGHT = 27;  // px: .virtual > .row in app.css
const OVERSCAN = 15;  // rows drawn past each edge of the view, so a fast scroll shows no blank

function setupLargeTree(tree) {
  const config = JSON.parse(document.getElementById("tree-outline").textContent);
  const outline = config.outline;
  const project = tree.dataset.project;
  const traceCost = Number(outline.cost);
  const severalServices = outline.services.length > 1;
  // Each row: {span, depth, expanded} or {gap: {parent_span_id, offset, count}, depth}, depth first.
  let rows = outline.rows.map((doc) => (doc.gap ? doc : { span: doc, depth: doc.depth, expanded: doc.expanded }));
  let cursor = 0;  // the row keyboard focus is on
  let selected = tree.dataset.selected;
  let matches = [];
  let matchAt = -1;
  let matched = new Set();
  let drawPending = false;

  async function api(path, params) {
    const query = new URLSearchParams(params);
    if (project) query.set("project", project);
    const response = await fetch(`/api/v1/traces/${outline.trace_id}/${path}?${query}`);
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  // Rows for children [from, to) of a span (null: the roots): the loaded page, gaps for the rest.
  async function childRows(parentId, depth, from, to, offset) {
    const params = { offset, limit: Math.min(config.page, to - offset) };
    if (parentId) params.parent = parentId;
    const page = await api("children", params);
    const loaded = page.spans.map((span) => ({ span, depth, expanded: false }));
    const end = offset + loaded.length;
    const gap = (start, count) => ({ gap: { parent_span_id: parentId, offset: start, count }, depth });
    return [...(offset > from ? [gap(from, offset - from)] : []), ...loaded, ...(to > end ? [gap(end, to - end)] : [])];
  }

  // Rows replaced; the keyboard's row keeps its place (or moves to the first new row if it was replaced).
  function splice(at, removed, added) {
    rows.splice(at, removed, ...added);
    if (cursor >= at + removed) cursor += added.length - removed;
    else if (cursor >= at && removed) cursor = at;
    draw();
  }

  const findSpan = (spanId) => rows.findIndex((row) => row.span && row.span.span_id === spanId);

  function subtreeEnd(index) {
    let end = index + 1;
    while (end < rows.length && rows[end].depth > rows[index].depth) end += 1;
    return end;
  }

  async function expand(index) {
    const row = rows[index];
    if (!row.span || row.expanded || !row.span.child_count) return;
    const added = await childRows(row.span.span_id, row.depth + 1, 0, row.span.child_count, 0);
    const at = rows.indexOf(row);  // rows may have changed while the page loaded
    if (at < 0 || row.expanded) return;
    row.expanded = true;
    splice(at + 1, 0, added);
  }

  function collapse(index) {
    const row = rows[index];
    if (!row.expanded) return;
    row.expanded = false;
    const end = subtreeEnd(index);
    if (cursor > index && cursor < end) cursor = index;
    splice(index + 1, end - index - 1, []);
  }

  // Load the spans of a gap row: its first page, or a page around the ``around``-th child.
  async function fillGap(index, around) {
    const row = rows[index];
    const { parent_span_id: parentId, offset, count } = row.gap;
    const end = offset + count;
    const from = around === undefined ? offset : Math.max(offset, Math.min(around - 10, end - config.page));
    const added = await childRows(parentId, row.depth, offset, end, from);
    const at = rows.indexOf(row);
    if (at >= 0) splice(at, 1, added);
  }

  // Expand the way down a path ([{span_id, index}] from a root): the index of its last span's row.
  async function reveal(path) {
    let parentId = null;
    let index = -1;
    for (const [step, { span_id: spanId, index: place }] of path.entries()) {
      index = findSpan(spanId);
      if (index < 0) {
        const gap = rows.findIndex((row) => row.gap && row.gap.parent_span_id === parentId
          && row.gap.offset <= place && place < row.gap.offset + row.gap.count);
        if (gap < 0) return -1;
        await fillGap(gap, place);
        index = findSpan(spanId);
      }
      if (index < 0) return -1;
      if (step < path.length - 1) await expand(index);
      parentId = spanId;
    }
    return index;
  }

  function element(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }

  function spanRow(item, row) {
    const span = row.span;
    item.id = `span-${span.span_id}`;
    item.dataset.spanId = span.span_id;
    item.setAttribute("aria-selected", String(span.span_id === selected));
    if (span.child_count) item.setAttribute("aria-expanded", String(row.expanded));
    const share = traceCost > 0 ? Number(span.subtree_cost) / traceCost : 0;
    item.classList.add(`heat-${config.heat_steps.filter((step) => share >= Number(step)).length}`);
    const marks = { error: span.error, failing: span.subtree_error_count, critical: span.critical,
      duplicate: span.duplicate_of, match: matched.has(span.span_id) };
    for (const [mark, on] of Object.entries(marks)) if (on) item.classList.add(mark);
    const node = item.firstChild;
    const toggle = element("span", span.child_count ? "toggle" : "leaf");
    toggle.setAttribute("aria-hidden", "true");
    const [badge, label] = config.kinds[span.kind] || config.kinds.other;
    const kind = element("abbr", `kind kind-${span.kind}`, badge);
    kind.title = label;
    const name = element("a", "name", span.name);
    name.href = `?span=${span.span_id}` + (project ? `&project=${encodeURIComponent(project)}` : "");
    name.tabIndex = -1;
    node.append(toggle, kind, name);
    if (span.hop || severalServices) {
      const service = element("span", span.hop ? "svc hop" : "svc", span.hop ? `→ ${span.service}` : span.service);
      service.style.setProperty("--svc", config.colours[span.service]);
      node.append(service);
    }
    if (span.model) node.append(element("span", "model", span.model));
    if (span.tokens) node.append(element("span", "tok", `${tokens(span.tokens)} tok`));
    if (span.error) {
      const failed = element("span", "status error", `✗ ${span.error.type || "error"}`);
      failed.title = `${span.error.type}: ${span.error.message}`;
      node.append(failed);
    }
    if (span.retried) node.append(element("span", "tag retry", "retried"));
    if (span.unpriced_reason) node.append(element("span", "warn", "unpriced"));
    if (span.child_count && !row.expanded) node.append(element("span", "tag", `+${span.subtree_span_count - 1} spans`));
    const costs = element("span", "costs");
    costs.append(element("span", "self", usd(span.cost)));
    if (span.child_count) costs.append(" / ", element("strong", "", usd(span.subtree_cost)));
    const lane = element("span", "lane");
    lane.setAttribute("aria-hidden", "true");
    const bar = element("span", "bar");
    const length = Math.max(1, outline.duration_ns);
    bar.style.left = `${((span.start_ns - outline.start_ns) * 100) / length}%`;
    bar.style.width = `${Math.max((span.duration_ns * 100) / length, 0.15)}%`;
    lane.append(bar);
    item.append(costs, lane, element("span", "dur", duration(span.duration_ns)));
  }

  function rowElement(row, index) {
    const item = element("li", "row");
    item.setAttribute("role", "treeitem");
    item.setAttribute("aria-level", String(row.depth + 1));
    item.dataset.index = String(index);
    item.tabIndex = index === cursor ? 0 : -1;
    const node = element("span", "node");
    node.style.setProperty("--depth", row.depth);
    item.append(node);
    if (row.span) {
      spanRow(item, row);
    } else {
      item.classList.add("gap");
      const shown = Math.min(config.page, row.gap.count);
      node.append(element("span", "leaf"), element("span", "more-spans", `${row.gap.count} more spans: show ${shown}`));
    }
    return item;
  }

  // Stands for rows not drawn, so the scroll height is the whole tree's.
  function spacer(count) {
    const space = element("li", "spacer");
    space.setAttribute("role", "none");
    space.style.height = `${count * ROW_HEIGHT}px`;
    return space;
  }

  function draw() {
    const top = tree.scrollTop;
    const height = tree.clientHeight || window.innerHeight;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const focused = tree.contains(document.activeElement);
    tree.replaceChildren(
      spacer(first),
      ...rows.slice(first, last).map((row, offset) => rowElement(row, first + offset)),
      spacer(rows.length - last),
    );
    if (focused) tree.querySelector(`[data-index="${cursor}"]`)?.focus({ preventScroll: true });
  }

  // Move the keyboard to a row, scrolling it into view (to the middle when it was far).
  function focusRow(index, centre) {
    cursor = Math.max(0, Math.min(index, rows.length - 1));
    const top = cursor * ROW_HEIGHT;
    const height = tree.clientHeight;
    if (centre && (top < tree.scrollTop || top + ROW_HEIGHT > tree.scrollTop + height)) tree.scrollTop = top - height / 2;
    else if (top < tree.scrollTop) tree.scrollTop = top;
    else if (top + ROW_HEIGHT > tree.scrollTop + height) tree.scrollTop = top + ROW_HEIGHT - height;
    draw();
    tree.querySelector(`[data-index="${cursor}"]`)?.focus({ preventScroll: true });
  }

  function select(index) {
    selected = rows[index].span.span_id;
    focusRow(index, true);
    openSpan(tree, selected);
  }

  function activate(index) {
    if (rows[index].gap) fillGap(index).then(() => focusRow(index));
    else select(index);
  }

  tree.addEventListener("scroll", () => {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => { drawPending = false; draw(); });
  });

  tree.addEventListener("click", (event) => {
    const item = event.target.closest('[role="treeitem"]');
    if (!item) return;
    event.preventDefault();
    const index = Number(item.dataset.index);
    if (rows[index].span && event.target.closest(".toggle")) {
      cursor = index;
      if (rows[index].expanded) collapse(index); else expand(index);
    } else {
      activate(index);
    }
  });

  const parentRow = (index) => {
    for (let at = index - 1; at >= 0; at -= 1) if (rows[at].depth < rows[index].depth) return at;
    return index;
  };
  const pageRows = () => Math.max(1, Math.floor(tree.clientHeight / ROW_HEIGHT) - 1);
  const KEYS = {
    ArrowDown: (index) => focusRow(index + 1),
    ArrowUp: (index) => focusRow(index - 1),
    PageDown: (index) => focusRow(index + pageRows()),
    PageUp: (index) => focusRow(index - pageRows()),
    Home: () => focusRow(0),
    End: () => focusRow(rows.length - 1),
    ArrowRight: (index) => {
      const row = rows[index];
      if (row.span && row.span.child_count && !row.expanded) expand(index);
      else if (row.expanded) focusRow(index + 1);
    },
    ArrowLeft: (index) => (rows[index].expanded ? collapse(index) : focusRow(parentRow(index))),
    Enter: activate,
    " ": activate,
  };

  tree.addEventListener("keydown", (event) => {
    const item = event.target.closest('[role="treeitem"]');
    const action = KEYS[event.key];
    if (!item || !action) return;
    event.preventDefault();
    cursor = Number(item.dataset.index);
    action(cursor);
  });

  // --- search, and jumps to where the failure started and to the end of the critical path ---------
  const form = document.getElementById("span-search");
  const status = document.getElementById("search-status");
  const previous = document.getElementById("search-previous");
  const next = document.getElementById("search-next");
  let matchTotal = 0;

  async function goToMatch(at) {
    matchAt = (at + matches.length) % matches.length;
    const listed = matchTotal > matches.length ? ` (the first ${matches.length} listed)` : "";
    status.textContent = `Match ${matchAt + 1} of ${matchTotal}${listed}`;
    const index = await reveal(matches[matchAt].path);
    if (index >= 0) select(index);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = form.elements.q.value.trim();
    if (!text) return;
    status.textContent = "Searching…";
    const found = await api("search", { q: text, limit: 200 });
    matches = found.matches;
    matchTotal = found.total;
    matched = new Set(matches.map((match) => match.span.span_id));
    previous.disabled = next.disabled = matches.length < 2;
    if (matches.length) await goToMatch(0);
    else { status.textContent = "No span matches"; draw(); }
  });
  previous.addEventListener("click", () => goToMatch(matchAt - 1));
  next.addEventListener("click", () => goToMatch(matchAt + 1));

  for (const button of document.querySelectorAll("[data-jump]")) {
    button.addEventListener("click", async () => {
      const index = await reveal(outline[button.dataset.jump]);
      if (index >= 0) select(index);
    });
  }

  // Opened on a span deep in the trace (?span=): open the way down to it.
  async function start() {
    draw();
    const at = findSpan(selected);
    if (at >= 0) { cursor = at; draw(); return; }
    const found = await api("search", { q: selected, limit: 1 });
    if (!found.matches.length) return;
    const index = await reveal(found.matches[0].path);
    if (index >= 0) focusRow(index, true);
  }
  start();
}
