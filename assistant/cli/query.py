"""`assistant search` and `assistant ask`: questions in, cited passages and answers out."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..config import DEFAULTS
from .common import UserError, config, index_option, model_option

local_option = click.option("--local", is_flag=True,
                            help="Answer in this process even when a server runs on the index.")


def _from_server(cfg, path: str, body: dict) -> dict | None:
    """The record a server running on ``cfg.index_dir`` gives for ``body`` (instant: its model is
    loaded), or None, and then this process answers (and ``_tip`` says how to get instant answers)."""
    from ..errors import QueryError
    from ..remote import find, post

    server = find(cfg.cache_root, cfg.index_dir) if cfg.remote else None
    if server is None:
        return None
    record = post(server, path, body, cfg.user, cfg.password)
    if record is not None and "error" in record:
        raise QueryError(record["error"])
    return record


def _tip(cfg) -> None:
    """Once, after an answer that loaded the model here: how to get the next one instantly."""
    if cfg.remote:
        click.echo(f"tip: keep `assistant serve --index {cfg.index_dir}` running and search/ask answer at once "
                   "(they send the question to it instead of loading the model)", err=True)


def _filters(docs, outlets, since, until):
    from ..filters import Filters

    return Filters(frozenset(docs), frozenset(outlets), since or "", until or "")


def _read_batch(path: Path, max_chars: int) -> list[tuple[object, str, str | None]]:
    """(id, question, error) per non-blank line of a ``--batch`` file, every line checked before the
    model loads: a line that is not ``{"id": ..., "text": ...}`` or whose question cannot be searched
    gets its one-line error instead of stopping the batch."""
    import json

    from ..decode import decode_bytes
    from ..errors import QueryError, SourceError
    from ..search import check_query

    try:
        text = decode_bytes(path.read_bytes(), str(path))
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict) or "text" not in rec:
                raise ValueError
        except ValueError:
            rows.append((lineno, "", f'{path.name}:{lineno}: expected {{"id": ..., "text": ...}}'))
            continue
        query_id, question = rec.get("id", lineno), str(rec["text"])
        try:
            rows.append((query_id, check_query(question, max_chars), None))
        except QueryError as exc:
            rows.append((query_id, "", f"{path.name}:{lineno}: {exc}"))
    return rows


@click.command()
@click.argument("question", required=False)
@click.option("-k", "top_k", type=click.IntRange(1, DEFAULTS.max_results), default=None,
              help=f"Number of passages (default {DEFAULTS.top_k}).")
@click.option("--batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='JSONL file of {"id": ..., "text": ...} questions.')
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question.")
@click.option("--method", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@click.option("--doc", "docs", multiple=True, help="Only this document id (repeatable; see `assistant list`).")
@click.option("--outlet", "outlets", multiple=True, help="Only documents of this outlet (repeatable).")
@click.option("--since", default=None, help="Only documents dated on or after YYYY-MM-DD.")
@click.option("--until", default=None, help="Only documents dated on or before YYYY-MM-DD.")
@local_option
@index_option
@model_option
def search(question, top_k, batch, as_json, method, docs, outlets, since, until, local, index_dir, model_path) -> None:
    """Find the passages that answer a question, with citations.

    --doc and --outlet together keep documents that match either; --since/--until also require
    a date.

    \b
    Examples:
        assistant search "متى بدأ الهجوم؟" -k 3
        assistant search "ما عدد الضحايا؟" --outlet "وكالة الأنباء" --since 2022-01-01
        assistant search --batch questions.jsonl --json
    """
    from ..search import check_query, open_searcher
    from .render import hits_json, hits_text

    if (question is None) == (batch is None):
        raise UserError("give either a QUESTION or --batch FILE")
    if batch and not as_json:
        raise UserError("--batch writes JSON lines; add --json")
    cfg = config(index_dir=index_dir, model_path=model_path, top_k=top_k, remote=0 if local else None)
    filters = _filters(docs, outlets, since, until)
    if question is not None:
        check_query(question, cfg.max_query_chars)  # fail before loading the model
        body = {"query": question, "k": cfg.top_k, "doc": list(docs), "outlet": list(outlets),
                "since": since or "", "until": until or ""}
        record = _from_server(cfg, "search", body) if method == "hybrid" else None
        if record is not None:
            from ..records import Hit

            hits = [Hit.from_dict(h) for h in record["results"]]  # the API returns the --json record
            click.echo(json.dumps(hits_json(None, question, hits), ensure_ascii=False) if as_json else hits_text(hits))
            return
    rows = _read_batch(batch, cfg.max_query_chars) if batch else [(None, question, None)]
    good = [text for _, text, error in rows if error is None]
    results = iter(open_searcher(cfg).search_many(good, cfg.top_k, method=method, filters=filters) if good else [])
    for query_id, text, error in rows:
        if error:
            click.echo(json.dumps({"id": query_id, "error": error}, ensure_ascii=False))
            continue
        hits = next(results)
        click.echo(json.dumps(hits_json(query_id, text, hits), ensure_ascii=False) if as_json else hits_text(hits))
    if question is not None:
        _tip(cfg)
    failed = sum(error is not None for *_, error in rows)
    if failed:
        raise UserError(f"{failed} of {len(rows)} lines of {batch} could not be searched (their error objects are "
                        "in the output)")


@click.command()
@click.argument("question")
@click.option("-k", "top_k", type=click.IntRange(1, DEFAULTS.max_results), default=None,
              help=f"Passages the answer may cite (default {DEFAULTS.answer_k}).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@click.option("--previous", "previous", multiple=True, metavar="QUESTION",
              help="An earlier question of the conversation (repeatable, oldest first): a follow-up keeps "
                   "what it asked unless it says it anew.")
@local_option
@index_option
@model_option
def ask(question, top_k, as_json, previous, local, index_dir, model_path) -> None:
    """Answer a question with cited sentences from the sources, and show where they differ.

    \b
    Examples:
        assistant ask "كم عدد الجرحى؟" --json
        assistant ask "وماذا عن المدنيين؟" --previous "كم عدد القتلى؟"
    """
    from ..answer import answer_question
    from ..search import check_query, open_searcher
    from .render import answer_text

    cfg = config(index_dir=index_dir, model_path=model_path, answer_k=top_k, remote=0 if local else None)
    check_query(question, cfg.max_query_chars)  # fail before loading the model
    for earlier in previous:
        check_query(earlier, cfg.max_query_chars)
    record = _from_server(cfg, "ask", {"question": question, "k": cfg.answer_k, "history": list(previous)})
    if record is not None:
        from ..answer.compose import Answer

        click.echo(json.dumps(record, ensure_ascii=False) if as_json else answer_text(Answer.from_dict(record)))
        return
    answer = answer_question(open_searcher(cfg), question, cfg.answer_k, previous=list(previous))
    click.echo(json.dumps(answer.to_dict(), ensure_ascii=False) if as_json else answer_text(answer))
    _tip(cfg)


COMMANDS = (search, ask)
