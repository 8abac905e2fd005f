"""`monitor demo` works offline and its digest holds the sample's true stories and none of its decoys."""

from __future__ import annotations

from monitor.demo.run import run_demo

TRUE_STORIES = (
    "Man taken to hospital after disorder in Southend High Street",
    "Forty more officers for Southend as commissioner sets out policing plan",
    "Three arrested in Westcliff county lines operation",
    "Dispersal order in place in Leigh-on-Sea this weekend",
)
DECOYS = (
    "Councillors face knife-edge vote on Southend budget",
    "Southend United lack killer instinct in goalless draw",
    "Teenager stabbed in Manchester city centre",
    "Knife skills: a Leigh-on-Sea chef's guide to winter vegetables",
)


def test_demo_prints_the_true_stories_and_none_of_the_decoys(tmp_path):
    printed: list[str] = []
    preview = run_demo(printed.append, workdir=tmp_path)
    output = "\n".join(printed)
    for title in TRUE_STORIES:
        assert title in output
    for title in DECOYS:
        assert title not in output
    html = preview.read_text(encoding="utf-8")
    assert preview.parent == tmp_path and all(title in html for title in TRUE_STORIES)
    assert str(preview) in output
