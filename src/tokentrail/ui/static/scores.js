// The trace page's annotate form: a score on the trace or the selected span, from a score config (its
// input follows the config's type, range and categories) or a free name. Posted as JSON to
// /traces/<id>/scores with the session's CSRF token; the page reloads to show it.
"use strict";

(() => {
  const form = document.getElementById("annotate");
  if (!form) return;
  const field = (name) => form.elements[name];
  const message = document.getElementById("annotate-message");

  function chosen() {
    const option = field("config").selectedOptions[0];
    if (!option || !option.value) return { name: field("name").value.trim(), type: field("data_type").value, categories: [] };
    return {
      name: option.value,
      type: option.dataset.type,
      min: option.dataset.min,
      max: option.dataset.max,
      categories: JSON.parse(option.dataset.categories || "[]"),
    };
  }

  // Show the inputs the chosen score takes, bounded as its config says.
  function fit() {
    const score = chosen();
    const free = !field("config").value;
    for (const label of form.querySelectorAll("[data-for]")) {
      const wanted = label.dataset.for;
      label.hidden = wanted === "free" ? !free : wanted !== score.type;
    }
    const value = field("value");
    value.min = score.min ?? "";
    value.max = score.max ?? "";
    const select = field("category");
    select.replaceChildren(...score.categories.map((category) => new Option(category, category)));
    select.hidden = !score.categories.length;
    field("category_text").hidden = Boolean(score.categories.length);
  }

  function body() {
    const score = chosen();
    const sent = { name: score.name, data_type: score.type, comment: field("comment").value };
    if (score.type === "numeric") sent.value = field("value").value === "" ? null : Number(field("value").value);
    if (score.type === "boolean") sent.value = Number(field("flag").value);
    if (score.type === "categorical") sent.string_value = score.categories.length ? field("category").value : field("category_text").value.trim();
    if (field("target").value === "span") sent.span_id = document.querySelector("#detail [data-span-id]")?.dataset.spanId || "";
    return sent;
  }

  field("config").addEventListener("change", fit);
  field("data_type").addEventListener("change", fit);
  fit();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const project = form.dataset.project;
    const url = `/traces/${form.dataset.traceId}/scores` + (project ? `?project=${encodeURIComponent(project)}` : "");
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": form.dataset.csrf },
      body: JSON.stringify(body()),
    });
    if (!response.ok) {
      const answer = await response.json().catch(() => null);
      message.textContent = answer?.error?.message || `Not saved (${response.status}).`;
      return;
    }
    message.textContent = "Saved.";
    location.reload();
  });
})();
