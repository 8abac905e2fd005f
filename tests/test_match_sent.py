"""A matcher sent to another process (the pool's, which matches new stories beside reading their pages): it travels
as its rules, is compiled there once, and matches there exactly as here."""

from __future__ import annotations

import pickle

from monitor.extract.pool import ProcessPool
from monitor.match import Matcher
from tests.test_match import compile_rules

FIELDS = {"title": "Man stabbed", "body": "A man was stabbed in Westcliff; police were called at 10pm."}


def test_a_matcher_sent_to_a_process_of_the_pool_matches_there_as_here():
    matcher = compile_rules({"any": ["stab*", "police"], "not": ["knife-edge"]}, {"all": ["was stabbed"]})
    pool = ProcessPool(1)
    try:
        there = [pool.run(Matcher.match, matcher, FIELDS) for _ in range(2)]
    finally:
        pool.close()
    assert there[0] and there == [matcher.match(FIELDS)] * 2


def test_a_matcher_arrives_compiled_once_and_other_rules_replace_it():
    first, second = compile_rules({"any": ["stabbed"]}), compile_rules({"any": ["police"]})
    sent = pickle.dumps(first)
    arrived = pickle.loads(sent)
    assert pickle.loads(sent) is arrived  # the same rules again: compiled once
    assert [match.terms for match in arrived.match(FIELDS)] == [("stabbed",)]
    assert [match.terms for match in pickle.loads(pickle.dumps(second)).match(FIELDS)] == [("police",)]
    assert pickle.loads(sent) is not arrived  # the other rules came in between: compiled again
