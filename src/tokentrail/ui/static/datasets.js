// Datasets: a new dataset, a file of items uploaded, and a trace (or its selected span, or the traces
// ticked in the list) added to one.
// Each calls the API with the session's CSRF token; the API's own message is shown when it refuses.
"use strict";

const withProject = (path, project) => (project ? `${path}${path.includes("?") ? "&" : "?"}project=${encodeURIComponent(project)}` : path);

async function callApi(form, path, options) {
  const response = await fetch(withProject(path, form.dataset.project), {
    ...options,
    headers: { "x-csrf-token": form.dataset.csrf, ...(options.headers || {}) },
  });
  const answer = await response.json();
  return response.ok ? { answer } : { error: answer.error ? answer.error.message : String(response.status) };
}

document.getElementById("dataset-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = { name: form.elements.name.value.trim(), description: form.elements.description.value.trim() };
  const { answer, error } = await callApi(form, "/api/v1/datasets", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  document.getElementById("dataset-message").textContent = error || "Created.";
  if (answer) window.location.href = withProject(`/datasets/${answer.id}`, form.dataset.project);
});

document.getElementById("upload-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const file = form.elements.file.files[0];
  const message = document.getElementById("upload-message");
  if (!file) return;
  const format = file.name.toLowerCase().endsWith(".csv") ? "csv" : "jsonl";
  const { answer, error } = await callApi(form, `/api/v1/datasets/${form.dataset.dataset}/upload?format=${format}`, {
    method: "POST",
    body: await file.text(),
  });
  message.textContent = error || `Added ${answer.items.length} items.`;
  if (answer) window.location.reload();
});

const adding = document.getElementById("add-to-dataset");
adding?.addEventListener("toggle", async () => {
  const select = adding.querySelector("select");
  if (!adding.open || select.options.length) return;
  const response = await fetch(withProject("/api/v1/datasets", adding.dataset.project));
  for (const dataset of (await response.json()).datasets) select.add(new Option(dataset.name, dataset.id));
  if (!select.options.length) document.getElementById("add-to-dataset-message").textContent = "No datasets yet: make one on the Datasets page.";
});
// On a trace's page: the trace, or its selected span; on the traces list: the rows ticked.
function picked(form) {
  if (!adding.dataset.trace) return [...document.querySelectorAll("input.pick:checked")].map((box) => ({ trace_id: box.value }));
  const reference = { trace_id: adding.dataset.trace };
  const span = new URL(window.location.href).searchParams.get("span");
  if (form.elements.what.value === "span" && span) reference.span_id = span;
  return [reference];
}

adding?.querySelector("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const message = document.getElementById("add-to-dataset-message");
  const references = picked(form);
  if (!references.length) {
    message.textContent = "Select traces in the list first.";
    return;
  }
  const { error } = await callApi(adding, `/api/v1/datasets/${form.elements.dataset.value}/items/from-traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ traces: references }),
  });
  const name = form.elements.dataset.selectedOptions[0].text;
  const what = adding.dataset.trace ? "" : ` ${references.length} trace${references.length > 1 ? "s" : ""}`;
  message.textContent = error || `Added${what} to ${name}.`;
});
