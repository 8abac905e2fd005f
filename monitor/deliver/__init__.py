"""Outputs: one module per kind under ``outputs/``, each an ``Output`` subclass found by its ``name`` in ``OUTPUT_TYPES``.

Adding a kind of output means one new module in ``outputs/`` decorated with ``@register`` and one line in ``_MODULES``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TextIO

from monitor.deliver.base import DeliveryError, LookUp, Output, Part

OUTPUT_TYPES: dict[str, type[Output]] = {}

_MODULES = ("console", "slack", "email")


def register(cls: type[Output]) -> type[Output]:
    OUTPUT_TYPES[cls.name] = cls
    return cls


def build_outputs(settings, *, data_dir: Path, stream: TextIO) -> dict[str, Output]:
    """Every output that monitor.yaml configures, by name, in registry order."""
    built = {name: cls.from_settings(settings, data_dir=data_dir, stream=stream) for name, cls in OUTPUT_TYPES.items()}
    return {name: output for name, output in built.items() if output is not None}


for _module in _MODULES:
    importlib.import_module(f"monitor.deliver.outputs.{_module}")

__all__ = ["OUTPUT_TYPES", "DeliveryError", "LookUp", "Output", "Part", "build_outputs", "register"]
