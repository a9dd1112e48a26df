"""Extractive answers with who-says-what: the sentences that answer, their figures, dates, names
and speakers, and whether the sources agree.

``lexicon`` (folding, word tokens, concept and party tables) → ``claims`` (figures, dates,
attributions in one sentence) → ``question`` (what a question asks, and where in a sentence the
answer sits) → ``compose`` (the answer: candidates, reprints, comparison).
"""

from .compare import compare
from .compose import NOT_FOUND, Answer, AnswerSentence, Claim, Reprint, answer_question

__all__ = ["NOT_FOUND", "Answer", "AnswerSentence", "Claim", "Reprint", "answer_question", "compare"]
