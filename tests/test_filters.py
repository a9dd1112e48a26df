"""Filters by document, outlet and date: one record for the library, the CLI, the API and the UI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from assistant.decode import make_document
from assistant.embedding.embedder import FakeEmbedder
from assistant.errors import AssistantError, QueryError
from assistant.filters import Filters
from assistant.records import Source
from assistant.search import Searcher
from assistant.store import build_index, load_index

DOCS = [  # (id, outlet, date, text): every text mentions the same event
    ("a", "وكالة أ", "2022-01-20", "اندلعت اشتباكات عنيفة في المدينة صباح الخميس وأسفرت عن سقوط قتلى."),
    ("b", "صحيفة ب", "2022-01-21T08:00", "قالت مصادر محلية إن الاشتباكات في المدينة استمرت يوماً كاملاً."),
    ("c", "وكالة أ", "2022-01-25", "عاد الهدوء إلى المدينة بعد أيام من الاشتباكات."),
    ("d", "", "", "تقرير بلا تاريخ عن الاشتباكات في المدينة."),
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("filters") / "index"
    docs = [make_document(Source(doc_id=i, path=f"{i}.txt", title=i, outlet=o, date=d), t) for i, o, d, t in DOCS]
    build_index(docs, FakeEmbedder(), folder)
    return folder


@pytest.fixture(scope="module")
def searcher(index_dir):
    return Searcher(load_index(index_dir), FakeEmbedder())


def docs_of(searcher, filters):
    return sorted({h.source.doc_id for h in searcher.search("الاشتباكات في المدينة", 10, filters=filters)})


def test_no_filter_returns_every_document(searcher):
    assert docs_of(searcher, None) == docs_of(searcher, Filters()) == ["a", "b", "c", "d"]


def test_documents_and_outlets_add_up(searcher):
    assert docs_of(searcher, Filters(doc_ids=frozenset({"d"}))) == ["d"]
    assert docs_of(searcher, Filters(outlets=frozenset({"وكالة أ"}))) == ["a", "c"]
    assert docs_of(searcher, Filters(doc_ids=frozenset({"b"}), outlets=frozenset({"وكالة أ"}))) == ["a", "b", "c"]


def test_date_range_is_inclusive_and_needs_a_date(searcher):
    assert docs_of(searcher, Filters(since="2022-01-21")) == ["b", "c"]  # a datetime counts by its day
    assert docs_of(searcher, Filters(until="2022-01-21")) == ["a", "b"]
    assert docs_of(searcher, Filters(since="2022-01-21", until="2022-01-21")) == ["b"]
    assert docs_of(searcher, Filters(outlets=frozenset({"وكالة أ"}), since="2022-01-22")) == ["c"]


def test_parse_reads_the_api_strings():
    f = Filters.parse(["doc:a", "outlet:صحيفة ب", "since:2022-01-01", "until:2022-12-31"])
    assert f == Filters(frozenset({"a"}), frozenset({"صحيفة ب"}), "2022-01-01", "2022-12-31")
    assert not Filters.parse([]) and not Filters.parse(None)


@pytest.mark.parametrize("make", [lambda: Filters.parse(["source:a"]), lambda: Filters(since="21/01/2022")])
def test_bad_filters_are_user_errors(make):
    with pytest.raises(QueryError) as err:
        make()
    assert isinstance(err.value, AssistantError) and "\n" not in str(err.value)


def run_cli(*args, index):
    env = {**os.environ, "ASSISTANT_EMBEDDER": "fake", "ASSISTANT_INDEX_DIR": str(index)}
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT)


def test_cli_filters(index_dir):
    proc = run_cli("search", "الاشتباكات في المدينة", "--json", "-k", "10", "--outlet", "وكالة أ",
                   "--doc", "d", "--since", "2000-01-01", index=index_dir)
    assert proc.returncode == 0, proc.stderr
    assert sorted(r["source"]["doc_id"] for r in json.loads(proc.stdout)["results"]) == ["a", "c"]
    bad = run_cli("search", "الاشتباكات", "--since", "yesterday", index=index_dir)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: since must be a date written YYYY-MM-DD, not 'yesterday'"


def test_ui_and_api_take_the_same_filters(index_dir):
    from assistant.config import Config
    from assistant.ui.service import UIService

    service = UIService(Config(index_dir=index_dir, uploads=0), embedder=FakeEmbedder())
    api = service.search_api("الاشتباكات في المدينة", 10, ["outlet:وكالة أ", "until:2022-01-21"])
    assert [r["source"]["doc_id"] for r in api["results"]] == ["a"] and api["error"] is None
    assert "unknown filter" in service.search_api("الاشتباكات", 5, ["nonsense"])["error"]
