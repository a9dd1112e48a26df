"""The question's focus and named source as ranking signals (focus.py, asked_source.py, search._refine).

Invented news sentences (a factory fire, a bus crash): nothing here is from the seed collection."""

from __future__ import annotations

import pytest

import assistant.search as search_module
from assistant.asked_source import attribution_words, headline_hold, question_source, sentence_hold
from assistant.decode import make_document
from assistant.embedding.embedder import FakeEmbedder
from assistant.focus import NO_FOCUS, question_focus, sentence_focus
from assistant.records import Source
from assistant.search import Searcher
from assistant.store import build_index, load_index


def _noun(question: str) -> set[str]:
    return set(question_focus(question).noun)


@pytest.mark.parametrize("question, noun, count", [
    ("كم سيارة احترقت في حريق المصنع؟", "سيار", True),
    ("كم قتيلاً سقط في الحادث؟", "قتيل", True),  # tanween alif dropped
    ("كم بلغ عدد الجرحى في الحادث؟", "جرحي", True),  # a copula, then عدد: still a count of the wounded
    ("ما عدد المفقودين بعد الفيضان؟", "مفقودين", True),
    ("من كم محور هاجم المسلحون المدينة؟", "محور", True),
    ("أي مستشفى استقبل الجرحى؟", "مستشفي", False),
    ("بأي وسيلة نقل المصابون؟", "وسيل", False),  # "وسيلة" is a word: the core without و is only one guess
    ("ما نوع الدعم الذي طلبته البلدية؟", "دعم", False),
    ("ما المنصب الذي يشغله المتحدث؟", "منصب", False),
    ("How many buses crashed on the highway?", "buses", True),
    ("Which hospital received the injured?", "hospital", False),
])
def test_question_focus_reads_the_noun_after_the_question_word(question, noun, count):
    focus = question_focus(question)
    assert noun in focus.noun and focus.count is count


@pytest.mark.parametrize("question", ["من أطلق النار على الحافلة؟", "لماذا اندلع الحريق؟", "أين وقع الحادث؟",
                                      "Who started the fire?"])
def test_a_question_without_a_focus_has_none(question):
    assert question_focus(question) == NO_FOCUS
    assert sentence_focus(question_focus(question), "احترقت 12 سيارة في الموقف.") == 0.0


def test_a_count_wants_a_figure_beside_its_noun():
    focus = question_focus("كم سيارة احترقت في حريق المصنع؟")
    assert sentence_focus(focus, "احترقت 12 سيارة في الموقف.") == 1.0
    assert sentence_focus(focus, "احترقت سيارتان في الموقف.") == 1.0  # a dual is a count of two
    assert sentence_focus(focus, "وأحرقت النيران ثلاث سيارات.") == 1.0  # a number word
    assert sentence_focus(focus, "وصلت سيارات الإطفاء إلى المصنع.") == 0.5  # the noun, no figure
    assert sentence_focus(focus, "أصيب 12 عاملا في الحريق.") == 0.5  # a figure of something else
    assert sentence_focus(focus, "فتحت الشرطة تحقيقا في الحريق.") == 0.0


def test_a_which_question_wants_its_noun_with_a_new_word_after_it():
    focus = question_focus("أي مستشفى استقبل جرحى الحادث؟")
    assert sentence_focus(focus, "نقل الجرحى إلى مستشفى الرازي.") == 1.0  # the slot filled
    assert sentence_focus(focus, "استقبل المستشفى جرحى الحادث.") == 0.5  # the noun, then the question's words
    assert sentence_focus(focus, "نقل الجرحى بسيارات الإسعاف.") == 0.0


def test_a_which_time_question_wants_a_date():
    focus = question_focus("في أي يوم وقع الحادث؟")
    assert sentence_focus(focus, "وقع الحادث صباح الخميس على الطريق السريع.") == 1.0
    assert sentence_focus(focus, "وقع الحادث في 12 آذار.") == 1.0
    assert sentence_focus(focus, "في يوم الحادث كانت الطريق مزدحمة.") == 0.5


@pytest.mark.parametrize("question, words", [
    ("كم قتيلا سقط في الحريق بحسب وزارة الصحة؟", ["وزار", "صحه"]),
    ("كم جريحا نقل إلى المستشفى وفق رواية الشرطة؟", ["شرط"]),  # the statement noun "رواية" is not the source
    ("ما عدد المفقودين حسب بيان البلدية؟", ["بلدي"]),
    ("How many people died according to the health ministry?", ["health", "ministry"]),
])
def test_question_source_is_the_named_account_without_statement_nouns(question, words):
    source = question_source(question)
    assert len(source) == len(words)
    assert all(w in cores for w, cores in zip(words, source, strict=True))


def test_a_question_without_a_named_source_has_none():
    assert question_source("كم قتيلا سقط في الحريق؟") == ()


def test_source_hold_is_in_the_headline_or_a_reporting_sentence():
    source = question_source("كم قتيلا سقط في الحريق بحسب وزارة الصحة؟")
    assert headline_hold(source, "وزارة الصحة: ارتفاع حصيلة الحريق") == 1.0
    assert headline_hold(source, "الشرطة تحقق في الحريق") == 0.0
    assert sentence_hold(source, "وقالت وزارة الصحة إن 12 شخصا قتلوا.") == 1.0
    assert sentence_hold(source, "أعلنت الوزارة الحصيلة.") == 0.5  # one of the two words
    # the source named where nobody speaks is not its account, nor is it when another speaks of it
    assert sentence_hold(source, "تقع وزارة الصحة قرب المصنع.") == 0.0
    assert sentence_hold(source, "وأسفر الحريق، حسب الشرطة، عن إغلاق الطريق المؤدي إلى مبنى وزارة الصحة.") == 0.0
    assert sentence_hold(source, "وزارة الصحة أعلنت الحصيلة.") == 1.0  # the speaker before its verb


def _searcher(tmp_path, texts: dict[str, str], meta: dict[str, dict] | None = None) -> Searcher:
    docs = [make_document(Source(doc_id=d, path=f"{d}.txt", **(meta or {}).get(d, {})), t) for d, t in texts.items()]
    build_index(docs, FakeEmbedder(), tmp_path / "index")
    return Searcher(load_index(tmp_path / "index"), FakeEmbedder())


def test_the_passage_with_a_figure_beside_the_counted_noun_comes_first(tmp_path, monkeypatch):
    question = "كم سيارة احترقت في حريق المصنع؟"
    searcher = _searcher(tmp_path, {
        "answer": "اندلع حريق في المصنع ليلا. احترقت 12 سيارة في الموقف.",
        "topic": "احترقت مخازن المصنع في حريق كبير، وامتدت النيران إلى سيارة الحارس."})
    hits = searcher.search(question, 2)
    assert [h.source.doc_id for h in hits] == ["answer", "topic"]
    assert hits[0].scores["focus"] == 1.0 and hits[1].scores["focus"] == 0.5
    a, b = hits[0].evidence
    assert searcher.index.documents["answer"].text[a:b] == "احترقت 12 سيارة في الموقف."
    monkeypatch.setattr(search_module, "FOCUS_WEIGHT", 0.0)  # the signal is what decides
    assert searcher.search(question, 1)[0].source.doc_id == "topic"


def test_the_passage_with_the_which_slot_filled_comes_first(tmp_path, monkeypatch):
    question = "أي مستشفى استقبل جرحى الحادث؟"
    searcher = _searcher(tmp_path, {"answer": "استقبل مستشفى الرازي في وسط المدينة جرحى الحادث.",
                                    "topic": "استقبل المستشفى جرحى الحادث."})
    hits = searcher.search(question, 2)
    assert [h.source.doc_id for h in hits] == ["answer", "topic"]
    monkeypatch.setattr(search_module, "FOCUS_WEIGHT", 0.0)
    assert searcher.search(question, 1)[0].source.doc_id == "topic"


def test_the_named_sources_account_comes_first(tmp_path, monkeypatch):
    question = "كم قتيلا سقط في حريق المصنع بحسب وزارة الصحة؟"
    text = "سقط 12 قتيلا في حريق المصنع، وما زالت فرق الإنقاذ تبحث في الموقع."
    # the ministry's passage says more besides: without the signal the police's wins
    more = " وأغلقت السلطات الطريق المؤدي إلى المنطقة طوال الليل."
    searcher = _searcher(tmp_path, {"police": text, "ministry": text.replace("12", "15") + more},
                         {"police": {"outlet": "الشرطة"}, "ministry": {"outlet": "وزارة الصحة"}})
    hits = searcher.search(question, 2, fold=False)  # near-verbatim: folded into one hit otherwise
    assert [h.source.doc_id for h in hits] == ["ministry", "police"]
    assert hits[0].scores["source"] == 1.0 and hits[1].scores["source"] == 0.0
    folded = searcher.search(question, 2)
    assert len(folded) == 1 and folded[0].source.doc_id == "ministry" and folded[0].also_in
    monkeypatch.setattr(search_module, "SOURCE_WEIGHT", 0.0)
    assert searcher.search(question, 1, fold=False)[0].source.doc_id == "police"


def test_a_source_named_by_its_initials_is_found_spelled_out():
    source = question_source("كم جريحا سقط بحسب رواية قدم؟")  # an acronym the question uses
    assert sentence_hold(source, "وقالت قوات الدفاع المدني إن 12 شخصا أصيبوا.") == 1.0
    assert sentence_hold(source, "وقالت الشرطة إن 12 شخصا أصيبوا.") == 0.0


def test_a_counted_noun_finds_what_the_vocabulary_says_it_names():
    focus = question_focus("من كم جهة هاجم المسلحون البلدة؟")  # the vocabulary: جهة is a front, as محور
    assert focus.count and "=محاور" in focus.forms
    assert sentence_focus(focus, "وهاجم المسلحون البلدة من ثلاثة محاور.") == 1.0
    assert sentence_focus(question_focus("كم محطة أغلقت؟"), "أغلقت ثلاثة محاور.") == 0.5  # not a synonym there


def test_a_dual_focus_noun_finds_its_singular():
    focus = question_focus("في أي قريتين وقع الانهيار؟")
    assert "قري" in focus.noun
    assert sentence_focus(focus, "وقع الانهيار في قريتي العين والوادي.") == 1.0
    assert sentence_focus(focus, "وقع الانهيار في قرية الوادي.") == 1.0


def test_a_phrase_after_the_noun_does_not_say_which():
    focus = question_focus("ما نوع الدعم الذي طلبته البلدية؟")
    assert sentence_focus(focus, "طلبت البلدية دعما ماليا وفنيا.") == 1.0  # a modifier: the kind
    assert sentence_focus(focus, "طلبت البلدية الدعم الفني.") == 1.0
    assert sentence_focus(focus, "طلبت البلدية الدعم للمتضررين.") == 0.5  # for whom, not which kind
    assert sentence_focus(focus, "طلبت البلدية الدعم والتمويل.") == 0.5  # support and funding


def test_the_source_ends_with_its_clause():
    expected = question_source("كم قتيلا سقط بحسب الشرطة؟")
    assert question_source("بحسب الشرطة، كم قتيلا سقط؟") == expected  # not "قتيلا سقط" too
    assert question_source("وفق الشرطة كم قتيلا سقط؟") == expected  # the question word ends it
    assert question_source("كم قتيلا سقط بحسب ما أعلنت الشرطة؟") == expected  # "ما" before the name goes on
    assert question_source("According to the police, how many people died?") == \
        question_source("How many people died, according to the police?") == (frozenset({"police"}),)
    assert question_source("According to the ministry's toll, how many died?") == (frozenset({"ministry"}),)


def test_a_reply_is_what_is_said_not_who_says_it():
    assert question_source("من هم المصابون بحسب رد الوزارة؟") == question_source("من هم المصابون بحسب الوزارة؟")


def test_a_speakers_name_may_run_past_the_zone_it_begins_in():
    source = question_source("كم جريحا سقط بحسب رواية قدم؟")
    # the name begins five words after the verb and ends three words later
    assert sentence_hold(source, "وقال مدير المكتب الإعلامي في قوات الدفاع المدني إن 12 شخصا أصيبوا.") == 1.0
    assert sentence_hold(source, "وقال مدير المكتب الإعلامي في المستشفى إن قوات الدفاع المدني وصلت.") == 0.0


def test_the_attribution_words_are_not_what_the_question_asks_about():
    assert attribution_words("كم قتيلا سقط بحسب رواية الشرطة؟") == ("بحسب", "روايه")
    assert attribution_words("كم قتيلا سقط في الحريق؟") == ()


def test_attribution_words_do_not_count_in_the_lexical_match(tmp_path, monkeypatch):
    question = "كم مسلحا هاجم البلدة بحسب رواية الشرطة؟"
    searcher = _searcher(tmp_path, {
        "answer": "قالت الشرطة إن عشرين مسلحا هاجموا البلدة فجرا.",
        "other": "هاجم مسلحون البلدة، حسب رواية شهود عيان من السكان."})
    hits = searcher.search(question, 2, fold=False)
    by_id = {h.source.doc_id: h for h in hits}
    assert by_id["other"].scores["match"] < 0.5  # حسب and رواية are not the matter asked about
    monkeypatch.setattr(search_module, "attribution_words", lambda q: ())
    assert {h.source.doc_id: h for h in searcher.search(question, 2, fold=False)}["other"].scores["match"] \
        > by_id["other"].scores["match"]


def test_the_dense_method_stays_dense(tmp_path):
    """The focus and source are word signals, like the share: only the hybrid ranking takes them."""
    searcher = _searcher(tmp_path, {"answer": "اندلع حريق في المصنع ليلا. احترقت 12 سيارة في الموقف.",
                                    "topic": "احترقت مخازن المصنع في حريق كبير، وامتدت النيران إلى سيارة الحارس."})
    hits = searcher.search("كم سيارة احترقت في حريق المصنع؟", 2, method="dense")
    assert all("focus" not in h.scores for h in hits)


def test_a_question_whose_words_the_collection_lacks_ranks_as_dense(tmp_path):
    searcher = _searcher(tmp_path, {"answer": "اندلع حريق في المصنع ليلا. احترقت 12 سيارة في الموقف.",
                                    "topic": "احترقت مخازن المصنع في حريق كبير، وامتدت النيران إلى سيارة الحارس."})
    hits = searcher.search("How many cars burned in the factory fire?", 2)
    assert all("focus" not in h.scores for h in hits)


def test_a_sentence_naming_the_source_holds_no_share_of_what_is_asked(tmp_path, monkeypatch):
    """The source's name finds its passages (match) and is credited by the source signal; the best
    sentence's share of the question is about what is asked: naming the source adds nothing to it."""
    question = "ماذا أحرق المحتجون وفق وكالة أنباء الشرق؟"
    named = "نقلت وكالة أنباء الشرق تفاصيل ما جرى في الساحة."
    answer = "ثم أحرق المحتجون سيارة للشرطة."
    searcher = _searcher(tmp_path, {"doc": f"{named} {answer}", "other": "انتهى الاجتماع دون اتفاق."},
                         {"doc": {"outlet": "وكالة أنباء الشرق"}})
    hit = searcher.search(question, 1)[0]
    assert hit.scores["evidence"] == pytest.approx(1.0)  # the answering sentence holds all that is asked
    assert hit.scores["source"] == 1.0 and hit.scores["match"] == pytest.approx(1.0)  # the name still counts there
    monkeypatch.setattr(search_module, "source_words", lambda q: ())  # the source's words in the share too
    assert searcher.search(question, 1)[0].scores["evidence"] == pytest.approx(0.5)  # the name is half of it
