"""A configuration file read the quick way: ruamel's safe loader on libyaml (ruamel.yaml.clib), without positions.

The round-trip reader that keeps every key's line and column is pure Python: about 0.3 s of CPU for a sources.yaml of
500 sources, at every command's start. Positions only serve to report a problem, so the loader first reads a file
here, and reads it again the round-trip way only when this read fails, gives no mapping or is not valid; every problem
is reported from that second read, exactly as before.

Both readers resolve plain values by YAML 1.2 ("no" and "on" are text, 017 is 17, 1:30 is text), but they part on a
few things, so text that holds one of them goes straight to the round-trip reader:
- a tab, a byte-order mark past the start, or a NEL or Unicode line or paragraph separator: libyaml accepts tabs
  around keys and values that ruamel refuses, and breaks or drops those characters where ruamel keeps them;
- a ``%YAML`` directive: ruamel honours ``%YAML 1.1`` (yes/no, octal, sexagesimal), libyaml's composer does not;
- a tag (``!!str``, ``!name``): the round-trip reader keeps a tagged value as a ``TaggedScalar``, the safe one
  converts it;
- a merge key (``<<``): the two order merged keys differently.
tests/test_config_quick_read.py reads every configuration of the project and the tests both ways, and random text
built from YAML's awkward pieces, and checks that this reader gives either nothing or what the round-trip reader gives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.main import CParser

from monitor.config.document import count_values
from monitor.config.interpolate import substitute

_ROUND_TRIP_ONLY = re.compile(r"[\t\ufeff\x85\u2028\u2029]|^%|<<|(?:^|[\s\[{,])!", re.MULTILINE)


def read_quickly(text: str, environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The file's top-level mapping as plain data with ``${VAR}`` references replaced; None when the file must be read
    the round-trip way: it holds what the two readers could read differently, or something a person must be told
    about with its line (a syntax error, a top level that is no mapping, too many values, an unusable reference)."""
    if CParser is None or _ROUND_TRIP_ONLY.search(text):  # without ruamel.yaml.clib this would be no quicker
        return None
    try:
        root = YAML(typ="safe").load(text)
    except (YAMLError, TypeError):  # TypeError: a mapping or list used as a key
        return None
    if not isinstance(root, dict) or count_values(root)[0]:
        return None
    data, problems = substitute(root, environ)
    return None if problems else data
