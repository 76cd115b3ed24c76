"""Configuration files as data (`deploy/config/*.yaml`): YAML read into a pydantic model, every
problem named by its field (`programmes.0.ceiling.amount: Input should be greater than 0`), so the
person who edits the file sees what to fix without reading a traceback. Pure: no I/O library."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def field_problems(error: ValidationError) -> list[str]:
    """`field.path: message` for each of pydantic's errors (`<root>` for the document itself)."""
    return [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in error.errors()]


class DataFileProblems(ValueError):
    """What is wrong with a data file: unreadable, not YAML, or each field that breaks the model."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_model(model: type[M], text: str) -> M:
    """`text` as YAML, validated as `model`; DataFileProblems names each problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DataFileProblems([f"not valid YAML: {error}"]) from error
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise DataFileProblems(field_problems(error)) from error


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise DataFileProblems(["the file is missing"]) from error
    except OSError as error:
        raise DataFileProblems([f"cannot be read: {error.strerror}"]) from error
