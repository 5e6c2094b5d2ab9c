"""Score configs (migration 13): what a score of a given name must be. A numeric score within an optional
range, a boolean, or one of a list of categories; the annotate form offers them, and every writer that can
refuse a score (the scores API, the SDK through it, LangSmith feedback, Langfuse scores) refuses one that
does not fit its name's live config. A name with no config takes any score.

One row version per change, keyed by (project, name): saving a config again replaces it, deleting one
archives it (its scores stay; new ones are no longer checked against it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tokentrail.store.database import Store
from tokentrail.store.scores import DATA_TYPES, Score

__all__ = [
    "CONFIG_COLUMNS",
    "ConfigCheck",
    "ScoreConfig",
    "archive_config",
    "config_json",
    "read_configs",
    "save_config",
]

CONFIG_COLUMNS = ("project", "name", "data_type", "min", "max", "categories", "description", "archived")


@dataclass(slots=True)
class ScoreConfig:
    """What scores named ``name`` must be: ``data_type``, within ``min``..``max`` (numeric, either bound
    optional) or one of ``categories`` (categorical)."""

    project: str
    name: str
    data_type: str = "numeric"
    min: float | None = None
    max: float | None = None
    categories: list[str] = field(default_factory=list)
    description: str = ""
    archived: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a score config needs a name")
        if self.data_type not in DATA_TYPES:
            raise ValueError(f"data_type must be one of {', '.join(DATA_TYPES)}, not {self.data_type!r}")
        if self.data_type == "categorical" and not self.categories:
            raise ValueError("a categorical score config needs its categories")
        if self.data_type != "categorical" and self.categories:
            raise ValueError(f"a {self.data_type} score config has no categories")
        if self.data_type != "numeric" and (self.min is not None or self.max is not None):
            raise ValueError(f"a {self.data_type} score config has no min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")

    def misfit(self, score: Score) -> str | None:
        """Why ``score`` does not fit this config, or None when it does."""
        if score.data_type != self.data_type:
            return f"score {score.name!r} must be {self.data_type} (its config says), not {score.data_type}"
        problem = _CHECKS[self.data_type](self, score)
        return None if problem is None else f"score {score.name!r}: {problem}"


def _numeric_problem(config: ScoreConfig, score: Score) -> str | None:
    value = score.value if score.value is not None else 0.0
    below = config.min is not None and value < config.min
    above = config.max is not None and value > config.max
    if below or above:
        low = "" if config.min is None else f"{config.min:g}"
        high = "" if config.max is None else f"{config.max:g}"
        return f"{value:g} is outside its config's range {low}..{high}"
    return None


def _categorical_problem(config: ScoreConfig, score: Score) -> str | None:
    if score.string_value in config.categories:
        return None
    return f"{score.string_value!r} is not one of its categories ({', '.join(config.categories)})"


#: The checks beyond the data type, by data type (a boolean score is 0 or 1 already: Score checks that).
_CHECKS: Mapping[str, Callable[[ScoreConfig, Score], str | None]] = {
    "numeric": _numeric_problem,
    "boolean": lambda config, score: None,
    "categorical": _categorical_problem,
}


def save_config(store: Store, config: ScoreConfig) -> None:
    """Store ``config``, replacing the project's config of that name (archived or not)."""
    row = [getattr(config, column) for column in CONFIG_COLUMNS]
    row[-1] = int(config.archived)
    store.client().insert(
        "score_configs", [(*row, time.time_ns())], column_names=[*CONFIG_COLUMNS, "updated_ns"]
    )


def read_configs(store: Store, project: str, *, archived: bool = False) -> list[ScoreConfig]:
    """The project's live configs by name (with the archived ones too when ``archived``)."""
    rows = store.query_dicts(
        f"SELECT {', '.join(CONFIG_COLUMNS)} FROM score_configs FINAL WHERE project = {{project:String}} "
        "AND (archived = 0 OR {archived:UInt8}) ORDER BY name",
        {"project": project, "archived": int(archived)},
    )
    return [ScoreConfig(**{**row, "archived": bool(row["archived"])}) for row in rows]


def archive_config(store: Store, project: str, name: str) -> bool:
    """Archive the project's live config ``name``; False when it has none."""
    live = {config.name: config for config in read_configs(store, project)}
    config = live.get(name)
    if config is None:
        return False
    config.archived = True
    save_config(store, config)
    return True


class ConfigCheck:
    """Checks scores against their project's live configs, each project's read once."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._configs: dict[str, dict[str, ScoreConfig]] = {}

    def misfit(self, score: Score) -> str | None:
        """Why ``score`` does not fit the live config of its name, or None (also when there is none)."""
        configs = self._configs.get(score.project)
        if configs is None:
            configs = {config.name: config for config in read_configs(self._store, score.project)}
            self._configs[score.project] = configs
        config = configs.get(score.name)
        return None if config is None else config.misfit(score)


def config_json(config: ScoreConfig) -> dict[str, Any]:
    """A config as the API and the pages show it."""
    return {column: getattr(config, column) for column in CONFIG_COLUMNS}
