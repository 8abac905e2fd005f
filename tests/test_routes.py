"""Where a waiting delivery goes when the configuration changed under it (monitor.deliver.routes.new_destination)."""

from __future__ import annotations

import pytest

from monitor.deliver.routes import new_destination


@pytest.mark.parametrize(
    ("named", "taken", "expected"),
    [
        ([{"#crime"}], set(), None),  # still named: it stays
        ([{"#crime"}, {"#other"}], set(), None),  # one of its topics still goes there: it stays
        ([{"#fixed"}], set(), "#fixed"),  # a channel name fixed in monitor.yaml
        ([{"#fixed"}, {"#fixed", "#also"}], set(), "#fixed"),  # the one destination every topic goes to
        ([{"#fixed", "#desk"}], {"#desk"}, "#fixed"),  # #desk already has these matches: not a candidate
        ([{"#a", "#b"}], set(), None),  # two equal choices: it stays rather than guess
        ([{"#a"}, {"#b"}], set(), None),  # its topics now part ways: it stays
        ([set()], set(), None),  # nowhere named (the output is gone): it stays
        ([], set(), None),
    ],
)
def test_a_waiting_delivery_moves_only_to_the_one_destination_now_named_for_all_it_carries(named, taken, expected):
    assert new_destination("#crime", named, free=lambda destination: destination not in taken) == expected
