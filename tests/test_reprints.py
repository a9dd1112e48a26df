"""The one reprint detector, for search results and answer sentences alike."""

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
    groups = fold_hits([_hit("a", STATEMENT, 1), _hit("b", "نص آخر تماماً عن موضوع مختلف.", 2),
                        _hit("c", STATEMENT.replace("،", ""), 3), _hit("a", STATEMENT, 4)])
    assert [(g.hit.passage.doc_id, [x.passage.doc_id for x in g.also]) for g in groups] == \
        [("a", ["c"]), ("b", []), ("a", [])]  # the same document never folds into itself
