"""The simulated partners of `examples/simulated_partners.py`, which are built on the example
partner program `examples/partner_consumer.py`: the demo runs the very code a partner would copy.

The examples are scripts, not part of the installed package, so they are loaded from the
repository by path (`partner_consumer` first: `simulated_partners` imports it by that name)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(
            f"cannot load {EXAMPLES / name}.py: the demo runs from a checkout of the repository"
        )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_load("partner_consumer")
_simulated = _load("simulated_partners")

Behaviour: Any = _simulated.Behaviour
SimulatedPartners: Any = _simulated.SimulatedPartners
