"""Follow-up questions: the second turn keeps what the first asked unless it says it anew."""

from __future__ import annotations

import pytest

from assistant.answer.followup import resolve


def test_a_new_kind_of_people_replaces_the_party():
    q, text = resolve("وماذا عن المدنيين؟", ["كم عدد قتلى قوات الدفاع المدني في الحريق؟"])
    assert q.kind == "figure" and "death" in q.events and q.counted == {"civilian"} and q.party == ()
    assert "قتلى" in text


def test_a_new_party_keeps_the_event():
    q, _ = resolve("وماذا عن حرس الحدود؟", ["كم عدد قتلى قوات الدفاع المدني؟"])
    assert q.events == {"death"} and q.party == (("حرس", "الحدود"),)


def test_a_new_event_keeps_the_party():
    q, text = resolve("وكم جريحاً؟", ["كم عدد قتلى الشرطة؟"])
    assert q.events == {"injury"} and q.party == (("الشرطه",),) and "الشرطة" in text


def test_a_new_question_word_keeps_the_place_not_the_count():
    q, text = resolve("ومتى اندلع؟", ["كم عدد القتلى في حريق مصنع النسيج؟"])
    assert q.kind == "date" and not q.counted and "النسيج" in text


def test_a_question_that_stands_alone_inherits_nothing():
    q, text = resolve("كم راكباً كانت تقل الحافلة؟", ["كم عدد قتلى حريق المصنع؟"])
    assert q.counted == {"passenger"} and text == "كم راكباً كانت تقل الحافلة؟"
    assert resolve("كم عدد الجرحى؟", [])[1] == "كم عدد الجرحى؟"


@pytest.mark.integration
@pytest.mark.parametrize("first, second, check", [
    # deaths of one side, then civilians: the civilian tolls, not the fighters'
    ("كم عدد قتلى قوات سوريا الديمقراطية؟", "وماذا عن المدنيين؟", lambda ns: {4, 5} <= ns and not {40, 121} & ns),
    # deaths of one side, then the other side
    ("كم عدد قتلى قوات سوريا الديمقراطية؟", "وماذا عن داعش؟", lambda ns: 374 in ns and not {40, 121} & ns),
    # deaths, then the injured of the same side
    ("كم عدد قتلى قسد؟", "وكم جريحاً؟", lambda ns: ns == {23}),
    # car bombs, then the same count asked again shorter
    ("كم عدد السيارات المفخخة؟", "وحسب المرصد؟", lambda ns: 1 in ns),
    # escaped prisoners, then how many were caught again
    ("كم عدد السجناء الذين فروا من السجن؟", "وكم منهم أعيد القبض عليه؟", lambda ns: 100 in ns and 800 not in ns),
])
def test_two_turn_conversations_on_the_seeds(seeds_searcher, first, second, check):
    from assistant.answer import answer_question

    a = answer_question(seeds_searcher, second, previous=[first])
    numbers = {c.number for c in a.claims}
    assert a.found and check(numbers), (second, [(c.value, c.doc_id) for c in a.claims])
    alone = answer_question(seeds_searcher, second)  # without the first turn it is another question
    assert {c.number for c in alone.claims} != numbers or not alone.found
