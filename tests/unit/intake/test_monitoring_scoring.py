"""The survey's scoring (services/intake/core/monitoring.py), by property over surveys and answers
drawn at random, and the survey file's validation."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from services.intake.core.monitoring import (
    AnswersInvalid,
    Survey,
    SurveyFileError,
    load_survey,
    parse_survey,
    score,
)
from shared.events.codes import Dimension

SURVEY_FILE = Path(__file__).parents[3] / "deploy" / "config" / "monitoring.yaml"
scores = st.floats(0, 1, allow_nan=False)
weights = st.floats(0.01, 100, allow_nan=False)


@st.composite
def surveys(draw: st.DrawFn) -> Survey:
    indicators: list[dict[str, Any]] = []
    for dimension in Dimension:
        for n in range(draw(st.integers(1, 6))):
            values = sorted(draw(st.lists(scores, min_size=2, max_size=5)))
            indicators.append(
                {
                    "code": f"{dimension.value}_{n}",
                    "dimension": dimension.value,
                    "label": "an indicator",
                    "weight": draw(weights),
                    "answers": {f"a{i}": v for i, v in enumerate(values)},
                }
            )
    return Survey.model_validate(
        {
            "survey": "test-1",
            "dimensions": {d.value: draw(weights) for d in Dimension},
            "indicators": indicators,
        }
    )


@st.composite
def answered(draw: st.DrawFn) -> tuple[Survey, dict[str, str]]:
    survey = draw(surveys())
    return survey, {i.code: draw(st.sampled_from(list(i.answers))) for i in survey.indicators}


@given(answered())
def test_every_score_stays_between_0_and_1(case: tuple[Survey, dict[str, str]]) -> None:
    survey, answers = case
    result = score(survey, answers)
    everything = [*result.indicators.values(), *result.dimensions.values(), result.composite]
    assert all(0 <= s <= 1 for s in everything)


@given(answered(), st.data())
def test_a_better_answer_never_lowers_a_score(
    case: tuple[Survey, dict[str, str]], data: st.DataObject
) -> None:
    survey, answers = case
    indicator = data.draw(st.sampled_from(survey.indicators))
    codes = list(indicator.answers)
    better = data.draw(st.sampled_from(codes[codes.index(answers[indicator.code]) :]))
    before, after = score(survey, answers), score(survey, {**answers, indicator.code: better})
    assert after.indicators[indicator.code] >= before.indicators[indicator.code]
    assert all(after.dimensions[d] >= before.dimensions[d] for d in Dimension)
    assert after.composite >= before.composite


@given(answered())
def test_the_composite_is_the_weighted_mean_of_the_dimensions(case: tuple[Survey, dict[str, str]]) -> None:
    survey, answers = case
    result = score(survey, answers)
    total = sum(survey.dimensions.values())
    expected = sum(survey.dimensions[d] * result.dimensions[d] for d in Dimension) / total
    assert math.isclose(result.composite, expected, rel_tol=1e-9, abs_tol=1e-12)
    for d in Dimension:
        mine = [i for i in survey.indicators if i.dimension is d]
        mean = sum(i.weight * result.indicators[i.code] for i in mine) / sum(i.weight for i in mine)
        assert math.isclose(result.dimensions[d], mean, rel_tol=1e-9, abs_tol=1e-12)


def test_the_illustrative_survey_has_fifteen_indicators_in_three_dimensions() -> None:
    survey = load_survey(SURVEY_FILE)
    assert len(survey.indicators) == 15
    assert {d: sum(i.dimension is d for i in survey.indicators) for d in Dimension} == dict.fromkeys(
        Dimension, 5
    )
    best = score(survey, {i.code: list(i.answers)[-1] for i in survey.indicators})
    worst = score(survey, {i.code: next(iter(i.answers)) for i in survey.indicators})
    assert (best.composite, worst.composite) == (1.0, 0.0)


def test_answers_that_cannot_be_scored_are_named() -> None:
    survey = load_survey(SURVEY_FILE)
    answers = {i.code: next(iter(i.answers)) for i in survey.indicators}
    del answers["housing"]
    answers["debt"] = "huge"
    answers["mood"] = "fine"
    with pytest.raises(AnswersInvalid) as refused:
        score(survey, answers)
    assert sorted(code for code, _ in refused.value.problems) == ["debt", "housing", "mood"]


def _survey_with(change: Any) -> str:
    data = yaml.safe_load(SURVEY_FILE.read_text())
    change(data)
    return yaml.safe_dump(data, sort_keys=False)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda s: s["indicators"][0]["answers"].update(none=1.5), "indicators.0.answers.none"),
        (lambda s: s["indicators"][0]["answers"].update(none=0.9), "from the worst to the best"),
        (lambda s: s["indicators"][0].update(weight=0), "indicators.0.weight"),
        (lambda s: s["indicators"][0].update(dimension="spiritual"), "indicators.0.dimension"),
        (lambda s: s["dimensions"].pop("social"), "missing social"),
        (lambda s: s["indicators"][1].update(code="income_source"), "repeated: income_source"),
        (
            lambda s: s.update(indicators=[i for i in s["indicators"] if i["dimension"] != "psychosocial"]),
            "none for psychosocial",
        ),
        (lambda s: s["indicators"][0].update(free_text="x"), "indicators.0.free_text"),
    ],
)
def test_a_bad_survey_file_is_refused_naming_the_field(change: Any, named: str) -> None:
    with pytest.raises(SurveyFileError) as refused:
        parse_survey(_survey_with(change), "monitoring.yaml")
    assert named in str(refused.value)
    assert str(refused.value).startswith("monitoring.yaml: ")
