"""The reintegration sustainability survey (`deploy/config/monitoring.yaml`) and its scoring. Pure.

What a caller may rely on (tests/unit/intake/test_monitoring_scoring.py checks it by property):
- every score is between 0 and 1: an indicator's is its answer's score, a dimension's the weighted
  mean of its indicators', the composite the weighted mean of the dimensions' (by their weights);
- a better answer (one scoring higher) never lowers any score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.data_files import DataFileProblems, parse_model, read_text
from shared.events.codes import Dimension

MONITORING_FILE = "monitoring.yaml"
CODE = r"^[a-z][a-z0-9_]{0,39}$"

Score = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Weight = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]
Code = Annotated[str, Field(pattern=CODE)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Indicator(_Strict):
    code: Code
    dimension: Dimension
    label: str = Field(min_length=1, max_length=200)
    weight: Weight = 1.0
    # answer code -> score, from the worst answer to the best
    answers: Annotated[dict[Code, Score], Field(min_length=2)]

    @model_validator(mode="after")
    def _worst_to_best(self) -> Self:
        scores = list(self.answers.values())
        if any(b < a for a, b in pairwise(scores)):
            raise ValueError("answers: list them from the worst to the best (scores never falling)")
        return self


class Survey(_Strict):
    survey: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{0,39}$")
    dimensions: dict[Dimension, Weight]
    indicators: Annotated[list[Indicator], Field(min_length=1)]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        missing = [d.value for d in Dimension if d not in self.dimensions]
        if missing:
            raise ValueError(f"dimensions: every dimension needs a weight; missing {', '.join(missing)}")
        codes = [i.code for i in self.indicators]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"indicators: codes must be unique; repeated: {', '.join(repeated)}")
        empty = [d.value for d in Dimension if not any(i.dimension is d for i in self.indicators)]
        if empty:
            raise ValueError(f"indicators: every dimension needs an indicator; none for {', '.join(empty)}")
        return self

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


@dataclass(frozen=True)
class SurveyScores:
    indicators: dict[str, float]
    dimensions: dict[Dimension, float]
    composite: float


class AnswersInvalid(ValueError):
    """Answers that cannot be scored: each problem as (indicator code, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{code}: {message}" for code, message in problems))


def answer_problems(survey: Survey, answers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every indicator answered, with one of its answers; nothing else."""
    problems = [
        (code, "not an indicator of this survey") for code in answers if survey.indicator(code) is None
    ]
    for indicator in survey.indicators:
        given = answers.get(indicator.code)
        if given is None:
            problems.append((indicator.code, "this indicator needs an answer"))
        elif given not in indicator.answers:
            problems.append((indicator.code, f"one of: {', '.join(indicator.answers)}"))
    return problems


def _weighted_mean(pairs: list[tuple[float, float]]) -> float:
    """The mean of the values by their (positive) weights, kept within the values' range."""
    total = math.fsum(w for w, _ in pairs)
    mean = math.fsum(w * v for w, v in pairs) / total
    # rounding cannot take a mean outside its values, so no score leaves [0, 1]
    return min(max(mean, min(v for _, v in pairs)), max(v for _, v in pairs))


def score(survey: Survey, answers: Mapping[str, str]) -> SurveyScores:
    """The visit's scores; AnswersInvalid when an answer is missing, unknown or not the survey's."""
    problems = answer_problems(survey, answers)
    if problems:
        raise AnswersInvalid(problems)
    indicators = {i.code: i.answers[answers[i.code]] for i in survey.indicators}
    dimensions = {
        d: _weighted_mean([(i.weight, indicators[i.code]) for i in survey.indicators if i.dimension is d])
        for d in Dimension
    }
    composite = _weighted_mean([(survey.dimensions[d], dimensions[d]) for d in Dimension])
    return SurveyScores(indicators=indicators, dimensions=dimensions, composite=composite)


class MonitoringSchedule(_Strict):
    """A programme's `monitoring` entry in donor-policies.yaml (grants validates the same rules)."""

    visits_after_months: Annotated[list[int], Field(min_length=1, max_length=24)]
    window_days: int = Field(default=30, ge=0, le=180)

    @model_validator(mode="after")
    def _increasing(self) -> Self:
        months = self.visits_after_months
        if any(m < 1 for m in months) or any(b <= a for a, b in pairwise(months)):
            raise ValueError("visits_after_months: whole months after arrival, at least 1, increasing")
        return self


class SurveyFileError(ValueError):
    """The survey file is missing, not YAML, or breaks the model; the message names the field."""


def parse_survey(text: str, source: str = MONITORING_FILE) -> Survey:
    try:
        return parse_model(Survey, text)
    except DataFileProblems as error:
        raise SurveyFileError(f"{source}: {error}") from error


def load_survey(path: Path) -> Survey:
    try:
        return parse_survey(read_text(path), str(path))
    except DataFileProblems as error:
        raise SurveyFileError(f"{path}: {error}") from error
