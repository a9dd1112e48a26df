"""Who says what on a collection that is not the seeds: three invented events (a factory fire, a bus
crash, a flood), each told by two or three outlets with different tolls (tests/fixtures/other_events).
The answer module must carry to them with nothing of theirs in the code."""

from __future__ import annotations

import pytest
from conftest import ROOT

from assistant.answer import Answer, answer_question

pytestmark = pytest.mark.integration

FIXTURES = ROOT / "tests" / "fixtures" / "other_events"


@pytest.fixture(scope="module")
def ask(real_embedder, tmp_path_factory):
    from assistant.search import Searcher
    from assistant.sources import read_documents
    from assistant.store import build_index, load_index

    index_dir = tmp_path_factory.mktemp("other-events")
    build_index(read_documents([FIXTURES]), real_embedder, index_dir)
    searcher = Searcher(load_index(index_dir), real_embedder)
    cache: dict[str, Answer] = {}

    def run(question: str, previous: tuple[str, ...] = ()) -> Answer:
        key = "\n".join((*previous, question))
        if key not in cache:
            cache[key] = answer_question(searcher, question, previous=previous)
        return cache[key]
    return run


def _numbers(a: Answer, doc: str) -> set[float]:
    return {c.number for c in a.claims if doc in (c.doc_id, *(r.source.doc_id for r in c.also))}


def _speaker(a: Answer, doc: str, number: float) -> str:
    return next(c.speaker for c in a.claims if c.number == number
                and doc in (c.doc_id, *(r.source.doc_id for r in c.also)))


def test_fire_deaths_differ_by_outlet(ask):
    a = ask("كم عدد قتلى حريق مصنع النسيج؟")
    assert a.agreement == "differ"
    assert _numbers(a, "fire_east") == {12} and _numbers(a, "fire_valley") == {14}
    assert _numbers(a, "fire_news") == {12}
    assert _speaker(a, "fire_east", 12) == "الدفاع المدني"
    assert _speaker(a, "fire_valley", 14) == "وزارة الصحة"


def test_fire_injured_not_the_dead(ask):
    a = ask("كم عدد المصابين في حريق مصنع النسيج؟")
    assert {30, 27} <= {c.number for c in a.claims}
    assert not {12, 14, 6} & {c.number for c in a.claims}


def test_fire_day_agrees_once_resolved(ask):
    a = ask("متى اندلع الحريق في مصنع النسيج؟")
    assert {c.doc_id for c in a.claims} >= {"fire_east", "fire_valley"}
    assert a.agreement == "agree"  # "اليوم الجمعة" on the 14th and "أمس الجمعة" on the 15th


def test_bus_deaths(ask):
    a = ask("كم عدد الوفيات في حادث الحافلة؟")
    assert a.agreement == "differ"
    assert 9 in _numbers(a, "bus_east") and 9 in _numbers(a, "bus_valley") and 11 in _numbers(a, "bus_news")
    assert not {31, 40, 45} & {c.number for c in a.claims}
    assert _speaker(a, "bus_news", 11) == "الشرطة"


def test_bus_passengers(ask):
    a = ask("كم راكباً كانت تقل الحافلة؟")
    assert a.agreement == "differ" and {40, 45} <= {c.number for c in a.claims}


def test_flood_displaced_agree_as_ranges(ask):
    a = ask("كم شخصاً نزحوا بسبب الفيضانات في وادي السيل؟")
    assert {(c.number, c.qualifier) for c in a.claims} >= {(3000, "about"), (2500, "more than")}
    assert {c.qualifier for c in a.claims} <= {"about", "more than", "thousands"}  # "آلاف النازحين"
    assert a.agreement == "agree"
    reprinted = [c for c in a.claims if c.number == 3000]
    assert len(reprinted) == 1  # the sentence another outlet reprinted counts once, with both sources
    assert {reprinted[0].doc_id, *(r.source.doc_id for r in reprinted[0].also)} == {"flood_east", "flood_news"}
    assert reprinted[0].speaker == "محافظ الإقليم"


def test_children_drowned(ask):
    a = ask("كم طفلاً غرق في الفيضانات؟")
    assert {c.number for c in a.claims} == {4} and a.agreement == "agree"


@pytest.mark.parametrize("question", ["كم عدد المعتقلين في حادث الحافلة؟", "ما اسم سائق الحافلة؟",
                                      "كم بلغت الخسائر المادية للحريق بالدولار؟"])
def test_unanswerable_is_declined(ask, question):
    assert not ask(question).claims


# A mine collapse told by two outlets (mine_north, mine_daily): questions whose answer is a name or a
# phrase, not a figure, and English questions over the Arabic text.

def _said(a: Answer) -> str:
    return " ".join(s.text for s in a.sentences)


def test_name_after_what_is_named_beats_an_apposition_after_another_word(ask):
    a = ask("ما اسم عملية الإنقاذ؟")  # "عملية “الأمل الأخير”", not "قائد فرق الإنقاذ، سليم داود،"
    assert [c.value for c in a.claims] == ["الأمل الأخير"]


def test_which_noun_is_named_by_its_adjective(ask):
    a = ask("أي شركة تدير المنجم؟")  # "مدير الشركة، ماهر سليم،" names the manager, not the company
    assert [c.value for c in a.claims] == ["الشركة الوطنية"]


def test_what_happened_next_is_the_following_sentence(ask):
    a = ask("ماذا حدث بعد إغلاق مداخل المنجم؟")
    assert "حفر نفق جانبي" in _said(a)


def test_who_did_it_is_read_after_the_verbal_noun(ask):
    a = ask("مَن اتهم الشركة بإهمال الصيانة؟")  # "بعد اتهام نقابة عمال المناجم الشركة ..."
    assert a.claims and a.claims[0].value.startswith("نقابة عمال المناجم")


def test_who_are_they_is_read_after_the_copula(ask):
    a = ask("من هم العالقون في المنجم؟")  # "... أن العالقين في المنجم هم عمال الصيانة وسائقو العربات"
    assert [c.value for c in a.claims] == ["عمال الصيانة وسائقو العربات"]


def test_english_question_with_the_cue_after_an_attribution(ask):
    a = ask("According to the national ambulance authority, how many mine workers were killed?")
    assert 7 in _numbers(a, "mine_north")


def test_english_party_matched_under_the_documents_full_name(ask):
    """"عناصر الهيئة": the document named it "هيئة الإسعاف الوطنية" before; the model compares that."""
    a = ask("How many ambulance authority members were injured?")
    assert _numbers(a, "mine_north") == {3}


def test_which_noun_named_where_the_rest_of_the_question_is_not_said_is_declined(ask):
    """"الشركة الوطنية" runs the mine; nothing says who sells its equipment or owns the bus."""
    assert not ask("أي شركة تبيع معدات المنجم؟").found
    assert not ask("أي شركة تملك الحافلة؟").found
