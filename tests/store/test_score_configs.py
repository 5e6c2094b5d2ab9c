"""Score configs: a config that cannot be is refused with its reason, and a score fits its config only
with its data type and within its range or categories."""

from __future__ import annotations

import pytest

from tokentrail.store.score_configs import ConfigCheck, ScoreConfig, archive_config, read_configs, save_config
from tokentrail.store.scores import Score


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"data_type": "categorical"}, "needs its categories"),
        ({"data_type": "boolean", "min": 0.0}, "no min or max"),
        ({"categories": ["a"]}, "has no categories"),
        ({"min": 2.0, "max": 1.0}, "above max"),
        ({"data_type": "stars"}, "data_type must be"),
    ],
)
def test_a_config_that_cannot_be_is_refused_with_its_reason(fields, reason):
    with pytest.raises(ValueError, match=reason):
        ScoreConfig(project="p", name="helpful", **fields)


def _score(**fields):
    return Score(project="p", name="helpful", trace_id="t" * 32, **fields)


def test_a_numeric_score_fits_within_its_range_and_either_bound_may_be_open():
    config = ScoreConfig(project="p", name="helpful", min=0.0, max=1.0)
    floor = ScoreConfig(project="p", name="helpful", min=0.0)

    assert config.misfit(_score(value=1.0)) is None
    assert "outside its config's range 0..1" in (config.misfit(_score(value=1.5)) or "")
    assert floor.misfit(_score(value=1e9)) is None
    assert "range 0.." in (floor.misfit(_score(value=-1.0)) or "")


def test_a_score_of_another_type_or_category_does_not_fit():
    tone = ScoreConfig(project="p", name="helpful", data_type="categorical", categories=["polite", "rude"])

    assert tone.misfit(_score(data_type="categorical", string_value="polite")) is None
    assert "not one of its categories (polite, rude)" in (
        tone.misfit(_score(data_type="categorical", string_value="meh")) or ""
    )
    assert "must be categorical" in (tone.misfit(_score(value=1.0)) or "")


def test_the_check_reads_live_configs_only_and_a_name_without_one_takes_anything(store):
    save_config(store, ScoreConfig(project="p", name="helpful", data_type="boolean"))
    save_config(store, ScoreConfig(project="p", name="gone", min=0.0, max=1.0))
    assert archive_config(store, "p", "gone")
    assert not archive_config(store, "p", "never")
    check = ConfigCheck(store)

    assert [config.name for config in read_configs(store, "p")] == ["helpful"]
    assert [c.archived for c in read_configs(store, "p", archived=True)] == [True, False]
    assert "must be boolean" in (check.misfit(_score(value=0.5)) or "")
    assert check.misfit(Score(project="p", name="gone", trace_id="t" * 32, value=7.0)) is None
    assert check.misfit(Score(project="other", name="helpful", trace_id="t" * 32, value=7.0)) is None
