"""The one reprint detector, for search results and answer sentences alike."""

import numpy as np

from assistant.records import Hit, Passage, Source
from assistant.reprints import fold_hits, is_reprint, shingles

STATEMENT = ("وقالت القوات في بيان إن المهاجمين فجروا سيارة مفخخة عند البوابة الرئيسية للسجن، "
             "ثم اقتحموا المبنى واشتبكوا مع الحراس لساعات قبل أن تصل التعزيزات.")


def test_a_reprint_with_other_punctuation_and_diacritics_is_one_text():
    reprint = "وقالَت القوات في بيانٍ: إنّ المهاجمين فجّروا سيارةً مفخخة عند البوابة الرئيسية للسجن " \
              "ثم اقتحموا المبنى، واشتبكوا مع الحراس لساعات قبل ان تصل التعزيزات"
    assert is_reprint(shingles(STATEMENT), shingles(reprint))


def test_the_same_statement_cut_at_other_boundaries_is_a_reprint():
    longer = STATEMENT + " وأضاف البيان أن العملية انتهت صباح اليوم التالي."
    assert is_reprint(shingles(STATEMENT), shingles(longer))


def test_a_short_sentence_inside_a_long_one_is_not_a_reprint():
    short = "فجروا سيارة مفخخة عند البوابة الرئيسية للسجن"
    assert short in STATEMENT and not is_reprint(shingles(short), shingles(STATEMENT))


def test_another_text_on_the_same_event_is_not_a_reprint():
    other = "أعلنت مصادر طبية أن عدد الجرحى ارتفع إلى ثلاثين بعد الهجوم على السجن وسط المدينة."
    assert not is_reprint(shingles(STATEMENT), shingles(other))


def _hit(doc, text, rank):
    return Hit(rank, 1.0 / rank, Passage(f"{doc}:0-{len(text)}", doc, 0, len(text), text), Source(doc, f"{doc}.txt"))


def test_fold_hits_keeps_the_best_ranked_and_lists_the_others():
    hits = fold_hits([_hit("a", STATEMENT, 1), _hit("b", "نص آخر تماماً عن موضوع مختلف.", 2),
                      _hit("c", STATEMENT.replace("،", ""), 3), _hit("a", STATEMENT, 4)])
    assert [(h.passage.doc_id, [r.source.doc_id for r in h.also_in]) for h in hits] == \
        [("a", ["c"]), ("b", []), ("a", [])]  # the same document never folds into itself
    assert [h.rank for h in hits] == [1, 2, 3]


def test_fold_hits_stops_at_k_but_still_names_later_reprints():
    hits = fold_hits([_hit("a", STATEMENT, 1), _hit("b", "نص آخر تماماً عن موضوع مختلف.", 2),
                      _hit("d", "خبر ثالث لا علاقة له بما سبق من الأخبار.", 3), _hit("c", STATEMENT, 4)], k=2)
    assert [h.passage.doc_id for h in hits] == ["a", "b"] and [r.source.doc_id for r in hits[0].also_in] == ["c"]


def test_two_short_texts_sharing_a_phrase_are_not_one():
    a = "قالت مصادر محلية إن الاشتباكات في المدينة استمرت يوماً كاملاً."
    b = "تقرير بلا تاريخ عن الاشتباكات في المدينة."
    assert not is_reprint(shingles(a), shingles(b))


# fold_hits counts shared 5-grams with packed integers (reprints.Overlaps); these hold it to the sets.
_ODD = ["", " ", "...", "ab", "a b", "_x_", "ABCDE", "ß straße", "\U0001F600 رمز \U0001D7D8 math", "٣٤٥ ۱۲",
        "  ،؛ كلمة ؟ ", "x\ud800y", "Ⅻ ²³ ½ ١٢"]


def _texts(seed: int, n: int) -> list[str]:
    import random

    rng = random.Random(seed)
    words = (STATEMENT + " أعلنت مصادر طبية أن عدد الجرحى ارتفع إلى ثلاثين Reuters AFP 2022.").split()
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 40))) for _ in range(n)]
    texts += [STATEMENT[rng.randint(0, 40):], STATEMENT.replace("،", "") + " وأضاف البيان"] + rng.sample(_ODD, 5)
    rng.shuffle(texts)
    return texts


def test_overlaps_count_what_the_sets_count():
    from assistant.reprints import Overlaps

    for seed in range(20):
        texts = _texts(seed, 30)
        overlaps, sets = Overlaps.of(texts), [shingles(t) for t in texts]
        assert overlaps.sizes.tolist() == [len(s) for s in sets]
        for j in range(len(texts)):
            assert overlaps.shared_with(j).tolist() == [len(s & sets[j]) for s in sets]


def test_the_word_characters_are_the_ones_the_pattern_keeps():
    from assistant.reprints import _NON_WORD, _is_word

    codes = np.arange(0x110000, dtype=np.uint32)
    codes = codes[(codes < 0xD800) | (codes > 0xDFFF)][::7]  # every 7th code point, all planes
    assert _is_word(codes).tolist() == [_NON_WORD.fullmatch(chr(c)) is None for c in codes.tolist()]


def test_fold_hits_by_counts_and_by_sets_agree(monkeypatch):
    from assistant import reprints

    folded = 0
    for seed in range(10):
        texts = _texts(seed, 25)
        hits = [_hit(f"d{i % 7}", t, i + 1) for i, t in enumerate(texts)]
        by_counts = fold_hits(hits, 8)
        with monkeypatch.context() as m:
            m.setattr(reprints.Overlaps, "of", classmethod(lambda cls, texts: None))  # too many characters
            assert fold_hits(hits, 8) == by_counts
        folded += sum(len(h.also_in) for h in by_counts)
    assert folded > 0  # the lists had reprints to fold
