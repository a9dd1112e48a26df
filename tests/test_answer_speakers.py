"""Who says it: each attribution form, on invented sentences about other events (no model).

Speakers are names and institutions only: never a particle or pronoun ("ما" of "وفق ما أعلن"),
a bare title ("الدكتور"), or a statement noun ("رواية", "بيان", "حصيلة")."""

from __future__ import annotations

import pytest

from assistant.answer.claims import find_attributions
from assistant.answer.lexicon import fold, tokens


def _speakers(text: str) -> list[str]:
    f = fold(text)
    return [a.speaker for a in find_attributions(f, tokens(f)) if a.named]


@pytest.mark.parametrize("text, expected", [
    ("قال الدفاع المدني إن 12 شخصاً لقوا حتفهم في الحريق", ["الدفاع المدني"]),
    ("وأعلنت وزارة الصحة ارتفاع عدد الوفيات إلى 30", ["وزارة الصحة"]),
    ("وأفاد مراسل الوكالة بأن النيران امتدت إلى مبنى مجاور", ["مراسل الوكالة"]),
    ("وذكرت صحيفة الأيام أن الحافلة كانت تقل 40 راكباً", ["صحيفة الأيام"]),
    ("وأكد محافظ المدينة، سامر خليل، أن فرق الإنقاذ انتشلت 9 جثث", ["محافظ المدينة، سامر خليل"]),
    ("وبحسب الهلال الأحمر، أصيب 33 آخرون بجروح", ["الهلال الأحمر"]),
    ("ووفق مصادر طبية، بلغ عدد الجرحى 50", ["مصادر طبية"]),
    ("ونقلت الوكالة عن مصدر أمني قوله إن السائق فر من المكان", ["الوكالة عن مصدر أمني"]),
    ("According to the fire brigade, 12 people died", ["the fire brigade"]),
    ("The interior ministry said 40 passengers were on board", ["The interior ministry"]),
    ("وقالت شركة الكهرباء الوطنية إن الانقطاع استمر 6 ساعات", ["شركة الكهرباء الوطنية"]),
    ("وقال النائب سامي يوسف إن عدد القتلى تجاوز 70", ["النائب سامي يوسف"]),  # an office takes a name
    ("وقال الوزير إن الحصيلة بلغت 30", ["الوزير"]),  # and names someone alone too, unlike "الدكتور"
])
def test_attribution_forms(text, expected):
    assert _speakers(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("ووفق ما أعلن الدفاع المدني، غرق 4 أطفال", ["الدفاع المدني"]),  # "ما" is no speaker
    ("وقال الدكتور إن حالة المصابين مستقرة", []),  # a bare title names no one
    ("وقال الدكتور أحمد سالم إن حالة المصابين مستقرة", ["الدكتور أحمد سالم"]),
    ("وبحسب الحصيلة الرسمية، قتل 12 شخصاً", []),  # a statement noun says what, not who
    ("ووفق رواية الشرطة، فر السائق", ["الشرطة"]),
    ("وأشار البيان إلى أن 3 منازل انهارت", []),  # "البيان": the speaker of the statement before
    ("ولفتت إلى أن الفيضان جرف 20 سيارة", []),  # no subject: the speaker before continues
    ("وأضاف لإذاعة محلية أن المياه غمرت 300 منزل", []),  # the listener is not the speaker
])
def test_what_is_not_a_speaker(text, expected):
    assert _speakers(text) == expected



@pytest.mark.parametrize("text", ["المصنع الذي أعلن فيه عن 3 إصابات", "وأعلن عنهم الدفاع المدني لاحقاً",
                                  "ووفق ما ذكرته مصادر محلية، غرق 4 أطفال"])
def test_particles_and_pronouns_are_never_speakers(text):
    assert not {"فيه", "عنهم", "ما", "ما ذكرته"} & set(_speakers(text))
