"""Every entry of the general news vocabulary (assistant/answer/vocabulary.tsv) is recognised, with
its inflections, and look-alikes are not; the vocabulary names no party, place or event."""

from __future__ import annotations

from importlib.resources import files

import pytest

from assistant.answer.lexicon import CONCEPT_TABLES, concepts_of, fold, initialism, tokens, vocabulary
from assistant.normalize import normalize_arabic

ENTRIES = [(table, name, form) for table in CONCEPT_TABLES
           for name, forms in vocabulary().tables[table].items() for form in forms]


def _word(text: str) -> str:
    return tokens(fold(text))[0].text.lower()


def test_the_file_ships_in_the_package():
    assert "event\tdeath\t" in files("assistant.answer").joinpath("vocabulary.tsv").read_text("utf-8")


@pytest.mark.parametrize("table, name, form", ENTRIES, ids=[f"{n}:{f}" for _, n, f in ENTRIES])
def test_each_form_names_its_concept(table, name, form):
    word = form.lstrip("=")
    assert name in concepts_of(word)
    if len(word) >= 3 and not word.isascii():
        assert name in concepts_of("و" + word)  # with a clitic


@pytest.mark.parametrize("word, concept", [
    # deaths, in the words outlets use: martyrdom, passing away, "met his end"
    ("استشهاد", "death"), ("استشهد", "death"), ("شهداء", "death"), ("الشهداء", "death"), ("وفاة", "death"),
    ("الوفيات", "death"), ("حتفه", "death"), ("قتيلاً", "death"), ("القتلى", "death"), ("مقتل", "death"),
    ("قُتل", "death"), ("الضحايا", "death"), ("قضوا", "death"),
    ("أُصيب", "injury"), ("إصابة", "injury"), ("جريحاً", "injury"), ("الجرحى", "injury"), ("مصابين", "injury"),
    ("مفقودين", "missing"), ("المفقودين", "missing"), ("اعتقال", "arrest"), ("القبض", "arrest"),
    ("نازحين", "displaced"), ("نزوح", "displaced"), ("نزحت", "displaced"),
    ("عائلات", "family"), ("فرّوا", "escape"), ("الفارين", "escape"),
    ("رهينة", "hostage"), ("الرهائن", "hostage"), ("سيارتين", "vehicle"), ("حافلة", "vehicle"),
    ("منازل", "building"), ("مبنى", "building"), ("دولار", "money"), ("عاماً", "age"), ("أيام", "duration"),
    ("مدنيين", "civilian"), ("أطفال", "child"), ("محاور", "front"), ("غارتين", "strike"),
])
def test_inflections(word, concept):
    assert concept in concepts_of(_word(word))


@pytest.mark.parametrize("word", ["المدني", "قتال", "مدينة", "صابون", "عامر", "سار"])
def test_look_alikes_are_not_concepts(word):
    """"الدفاع المدني" (civil defence) is no civilian; "قتال" (fighting) is no death."""
    assert not concepts_of(_word(word)) & {"civilian", "death", "injury", "vehicle"}


def test_initialism():
    assert initialism("قوات الدفاع المدني") == normalize_arabic("قدم")
    assert initialism("لقوات الدفاع المدني") == normalize_arabic("قدم")
    assert initialism("الدفاع") == ""


SEED_NAMES = ("قسد", "داعش", "الأسايش", "سوريا", "الحسكة", "غويران", "الصناعة", "المرصد", "أعماق", "التحالف",
              "مظلوم", "فرهاد", "SDF", "ISIS", "Hasakah", "Amaq")


def test_the_package_names_no_party_place_or_event_of_the_seeds():
    """House rule: the mechanism must carry to collections it has never seen — nowhere in the
    package (code, comments, data, styles), not only in the answer module."""
    from pathlib import Path

    import assistant

    root = Path(assistant.__file__).parent
    paths = [p for p in root.rglob("*") if p.suffix in (".py", ".tsv", ".css", ".txt", ".json")]
    assert len(paths) > 40
    for path in paths:
        text = normalize_arabic(path.read_text("utf-8")).lower()
        for name in SEED_NAMES:
            assert normalize_arabic(name).lower() not in text, (str(path.relative_to(root)), name)
