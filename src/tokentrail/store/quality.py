"""Reads for the quality-per-dollar view: one aggregation summing, per group of scored traces, their
score values, cost, tokens and median duration (:func:`quality_totals`); the score's type and categories
(:func:`score_kind`); experiment names, if the store has experiments (:func:`experiment_names`).

A trace counts when it started in the window, meets the trace filters and has a score of that name (on
it or on one of its spans); its value is the mean of those scores (for a categorical score, the share in
the chosen category). Its cost, tokens and duration are its summary's (:mod:`tokentrail.store.summaries`).
Grouped by:

- ``name``, ``service``: the trace's name, its root span's service;
- ``model``: the trace's costliest model, the model (served, else asked for) whose counted LLM and
  embedding calls cost the most in the trace, so every trace is in exactly one group;
- ``prompt``: likewise the costliest managed prompt, ``name@version`` from the attributes conventions name
  it by (:data:`tokentrail.semconv.common.PROMPT_ATTRIBUTES`);
- ``experiment``: the experiment the score was given in (``scores.experiment_id``).

A trace without a model, prompt or experiment is in the group ``""``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tokentrail.analysis.quality import GroupTotals, QualityView, quality_view
from tokentrail.semconv.common import PROMPT_ATTRIBUTES
from tokentrail.store.database import Store
from tokentrail.store.sql import MONEY_SUM_TYPE, TraceFilter, one_of, trace_conditions
from tokentrail.store.summaries import summarized

__all__ = ["experiment_names", "quality_totals", "read_quality", "score_kind", "score_names"]

_SCORED = (
    "SELECT trace_id FROM scores WHERE project = {project:String} AND name = {score:String} "
    "AND trace_id != ''"
)
_MODEL = "if(response_model != '', response_model, request_model)"


def _prompt_label(params: dict[str, Any]) -> str:
    """SQL: the prompt a span names, ``name@version`` (either alone when the other is unset)."""
    branches = []
    for index, (name, version) in enumerate(PROMPT_ATTRIBUTES):
        params[f"prompt_v{index}"] = version
        version_sql = f"attributes[{{prompt_v{index}:String}}]"
        if name:
            params[f"prompt_n{index}"] = name
            name_sql = f"attributes[{{prompt_n{index}:String}}]"
            branches.append(
                f"{name_sql} != '' OR {version_sql} != '', "
                f"concat({name_sql}, if({version_sql} != '' AND {name_sql} != '', '@', ''), {version_sql})"
            )
        else:
            branches.append(f"{version_sql} != '', {version_sql}")
    return f"multiIf({', '.join(branches)}, '')"


def _costliest(label: str, kinds: str) -> str:
    """SQL: per scored trace, the ``label`` (of counted spans where it is set) costing the most."""
    return (
        f"SELECT trace_id, argMax(label, (cost, label)) AS key FROM ("
        f"SELECT trace_id, {label} AS label, sum(CAST(cost_total, '{MONEY_SUM_TYPE}')) AS cost "
        f"FROM spans FINAL PREWHERE project = {{project:String}} AND trace_id IN ({_SCORED}) "
        f"WHERE duplicate_of = '' {kinds} AND label != '' GROUP BY trace_id, label) GROUP BY trace_id"
    )


#: Group keys read off the joined score and trace rows.
_PLAIN_KEYS = {"name": "t.t_name", "service": "t.t_service", "experiment": "s.experiment_id"}
#: Group keys read off the trace's spans (the costliest model, prompt), as a query per trace.
_SPAN_KEYS: dict[str, Callable[[dict[str, Any]], str]] = {
    "model": lambda params: _costliest(_MODEL, "AND kind IN ('llm', 'embedding')"),
    "prompt": lambda params: _costliest(_prompt_label(params), ""),
}


def _key(by: str, params: dict[str, Any]) -> tuple[str, str]:
    """The group key's SQL, and the join that brings it (or "")."""
    if by in _PLAIN_KEYS:
        return _PLAIN_KEYS[by], ""
    return "k.key", f"LEFT JOIN ({_SPAN_KEYS[by](params)}) AS k ON k.trace_id = s.trace_id"


def quality_totals(
    store: Store,
    project: str,
    score: str,
    by: str,
    where: TraceFilter,
    *,
    data_type: str,
    category: str = "",
) -> list[GroupTotals]:
    """The scored traces of the window per group (``by``: see the module), summed."""
    params: dict[str, Any] = {"project": project, "score": score, "data_type": data_type}
    params["category"] = category
    value = "string_value = {category:String}" if data_type == "categorical" else "value"
    per_experiment = ", experiment_id" if by == "experiment" else ""
    scored = (
        f"SELECT trace_id{per_experiment}, avg({value}) AS value FROM scores FINAL "
        "PREWHERE project = {project:String} WHERE name = {score:String} AND data_type = {data_type:String} "
        f"AND trace_id != '' GROUP BY trace_id{per_experiment}"
    )
    conditions, needed = trace_conditions(where, params)
    traces = summarized(
        ["t_name", "t_service", "t_cost", "t_usage", "t_duration", *needed], f" AND trace_id IN ({_SCORED})"
    )
    filtered = f"SELECT * FROM ({traces})" + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
    key, join = _key(by, params)
    rows = store.query(
        f"SELECT {key} AS grp, count() AS traces, sumKahan(s.value), varSampStable(s.value), "
        "sum(t.t_cost), sum(t.t_usage['input'] + t.t_usage['output']), quantileExactLow(0.5)(t.t_duration) "
        f"FROM ({scored}) AS s INNER JOIN ({filtered}) AS t ON s.trace_id = t.trace_id {join} "
        "GROUP BY grp ORDER BY grp",
        params,
    )
    return [
        GroupTotals(str(grp), int(n), float(total), float(var), Decimal(cost), int(tokens), int(p50))
        for grp, n, total, var, cost, tokens, p50 in rows
    ]


def score_names(store: Store, project: str) -> list[str]:
    """The names of the project's scores on traces, most used first."""
    rows = store.query(
        "SELECT name, count() AS n FROM scores PREWHERE project = {project:String} WHERE trace_id != '' "
        "GROUP BY name ORDER BY n DESC, name LIMIT 200",
        {"project": project},
    )
    return [str(name) for name, _ in rows]


def score_kind(store: Store, project: str, score: str) -> tuple[str, list[str]]:
    """The score's type (the one most of its scores have; "" if it has none) and, for a categorical
    score, its categories, commonest first."""
    params = {"project": project, "score": score}
    types = store.query(
        "SELECT data_type, count() AS n FROM scores FINAL PREWHERE project = {project:String} "
        "WHERE name = {score:String} GROUP BY data_type ORDER BY n DESC, data_type LIMIT 1",
        params,
    )
    if not types:
        return "", []
    data_type = str(types[0][0])
    if data_type != "categorical":
        return data_type, []
    categories = store.query(
        "SELECT string_value, count() AS n FROM scores FINAL PREWHERE project = {project:String} "
        "WHERE name = {score:String} AND data_type = 'categorical' GROUP BY string_value "
        "ORDER BY n DESC, string_value LIMIT 100",
        params,
    )
    return data_type, [str(category) for category, _ in categories]


def experiment_names(store: Store, project: str, ids: list[str]) -> dict[str, str]:
    """The names of the experiments with these ids, if the store keeps experiments (an older store, or
    one without datasets and experiments, has no such table: no names)."""
    present = store.query(
        "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'experiments'"
    )
    wanted = [experiment for experiment in ids if experiment]
    if not present[0][0] or not wanted:
        return {}
    params: dict[str, Any] = {"project": project}
    rows = store.query(
        "SELECT id, argMax(name, updated_ns) FROM experiments WHERE project = {project:String} "
        f"AND {one_of('id', wanted, params)} GROUP BY id",
        params,
    )
    return {str(experiment): str(name) for experiment, name in rows}


def read_quality(
    store: Store, project: str, score: str, by: str, where: TraceFilter, category: str = ""
) -> tuple[QualityView, dict[str, str], list[str]]:
    """The quality view of ``score`` by ``by``; the names of the experiments among its groups; the
    score's categories (a categorical score's mean is the share of ``category``, default the
    commonest)."""
    data_type, categories = score_kind(store, project, score)
    if data_type == "categorical" and not category:
        category = categories[0]
    if data_type != "categorical":
        category = ""
    totals = quality_totals(store, project, score, by, where, data_type=data_type, category=category)
    view = quality_view(score, data_type, category, by, totals)
    keys = [group.key for group in view.groups]
    names = experiment_names(store, project, keys) if by == "experiment" else {}
    return view, names, categories
