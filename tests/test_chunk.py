"""Sentence-aware chunking: exact offsets, bounded length, stable ids."""

from conftest import SEEDS

from assistant.chunk import chunk_document, split_sentences
from assistant.decode import make_document
from assistant.records import Source
from assistant.sources import read_documents


def _doc(text, doc_id="d"):
    return make_document(Source(doc_id=doc_id, path=f"{doc_id}.txt"), text)


def test_sentence_boundaries_arabic_punctuation():
    text = "بدأ الهجوم مساءً. هل هرب السجناء؟ نعم! قالت قسد؛ انتهى الأمر"
    spans = split_sentences(text, 0, len(text))
    assert [text[a:b] for a, b in spans] == ["بدأ الهجوم مساءً.", "هل هرب السجناء؟", "نعم!", "قالت قسد؛",
                                             "انتهى الأمر"]


def test_decimal_point_is_not_a_boundary():
    text = "بلغت النسبة 3.5 بالمئة في المدينة."
    assert len(split_sentences(text, 0, len(text))) == 1


def test_short_lines_break_but_hard_wraps_do_not():
    text = ("عنوان قصير\n"
            "وفي الاشتباكات والمعارك خارج السِّجن التي استمرّت سبعة أيّام، قتل 121 من قوات\n"
            "قسد والعاملين في السِّجن.")
    got = [text[a:b] for a, b in split_sentences(text, 0, len(text))]
    assert got[0] == "عنوان قصير" and got[1].endswith("قسد والعاملين في السِّجن.") and len(got) == 2


def test_passages_are_exact_slices_and_bounded():
    for doc in read_documents([SEEDS]):
        for p in chunk_document(doc, max_chars=400):
            assert doc.text[p.start:p.end] == p.text
            assert len(p.text) <= 400


def test_passages_never_include_junk():
    for doc in read_documents([SEEDS]):
        for p in chunk_document(doc):
            assert "pic.twitter.com" not in p.text and "escort" not in p.text and "°C" not in p.text


def test_long_sentence_is_cut_at_a_space():
    text = "كلمة " * 300 + "نهاية."
    passages = chunk_document(_doc(text), max_chars=200)
    assert all(len(p.text) <= 200 for p in passages) and len(passages) > 5
    assert all(not p.text.startswith(" ") and not p.text.endswith(" ") for p in passages)


def test_overlap_repeats_sentences():
    text = " ".join(f"الجملة رقم {i} هنا." for i in range(20))
    plain = chunk_document(_doc(text), max_chars=60)
    overlapped = chunk_document(_doc(text), max_chars=60, overlap=1)
    assert len(overlapped) > len(plain)
    assert overlapped[1].start < overlapped[0].end  # the second passage starts inside the first


def test_ids_stable_across_rebuilds():
    a = [p.passage_id for d in read_documents([SEEDS]) for p in chunk_document(d)]
    b = [p.passage_id for d in read_documents([SEEDS]) for p in chunk_document(d)]
    assert a == b and len(set(a)) == len(a)


def test_model_text_puts_the_headline_before_a_passage_that_does_not_begin_with_it():
    from assistant.chunk import model_text

    body = "وقال المتحدث إن 12 شخصاً أصيبوا."
    assert model_text(body, "الوزارة:  حصيلة\tالحادث") == "الوزارة: حصيلة الحادث\n" + body
    assert model_text("الوزارة: حصيلة الحادث\n" + body, "الوزارة: حصيلة الحادث") == "الوزارة: حصيلة الحادث\n" + body
    assert model_text(body, "") == body and model_text(body, "  \n") == body
