"""`assistant eval` and `eval-suite`: retrieval quality on QA sets in the ../shared/eval format."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import config, make_embedder, model_option

_eval_methods = click.option("--method", "methods", multiple=True, default=("bm25", "dense", "hybrid"),
                             type=click.Choice(["bm25", "dense", "hybrid"]), show_default=True,
                             help="Method to score; repeatable.")
_eval_json = click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
                          help="Also write the full results as JSON to this file.")


def _report_eval(runs, json_out: Path | None, evidence=None, answers=None) -> None:
    from ..evaluate import format_evidence_table, format_table

    for run in runs:
        click.echo(f"{run.name}: {run.documents} documents, {run.passages} passages, {run.questions} "
                   f"questions; index built in {run.build_seconds:.1f} s, {run.embedded_texts} passages and sentences "
                   f"and {run.embedded_queries} questions embedded afresh (the rest from the cache)"
                   + (f"; {run.query_embed_ms:.0f} ms per question embedding" if run.query_embed_ms else ""))
    click.echo(format_table(runs))
    if evidence:
        click.echo("\nevidence@k: the first k results hold a passage of an answering source with an answer "
                   "string (seeds_qa: many outlets on one event)")
        click.echo(format_evidence_table(evidence))
    if answers is not None:
        click.echo("\nanswers on seeds_qa (queries.jsonl: answered / declined; conflicts.jsonl: who says what)")
        for line in answers.lines():
            click.echo(f"  {line}")
    if json_out:
        data = {"retrieval": [r.to_dict() for r in runs], "evidence": [r.to_dict() for r in evidence or []],
                "answers": answers.to_dict() if answers is not None else None}
        json_out.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")


@click.command(name="eval")
@click.option("--corpus", "corpora", multiple=True, required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='JSONL of {"id", "title", "text"} documents; repeatable (pooled).')
@click.option("--queries", "query_files", multiple=True, required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='JSONL of {"id", "text", "answers", "gold_ids"} questions; repeatable.')
@_eval_methods
@click.option("--k", "ks", multiple=True, type=click.IntRange(1, 50), default=(1, 5, 20), show_default=True,
              help="Cut-offs for top-k accuracy; repeatable.")
@_eval_json
@model_option
def eval_cmd(corpora, query_files, methods, ks, json_out, model_path) -> None:
    """Measure retrieval quality on questions with known gold documents (temporary index).

    \b
    Example:
        assistant eval --corpus ../shared/eval/xquad_ar/corpus.jsonl \\
            --queries ../shared/eval/xquad_ar/queries.jsonl --method dense --method hybrid
    """
    from ..evaluate import load_queries, run_eval

    cfg = config(model_path=model_path)
    queries = [q for path in query_files for q in load_queries(path)]
    run = run_eval("+".join(p.parent.name or p.stem for p in corpora), list(corpora), queries,
                   make_embedder(cfg), cfg, methods=tuple(dict.fromkeys(methods)), ks=tuple(sorted(set(ks))))
    _report_eval([run], json_out)


@click.command(name="eval-suite")
@click.option("--eval-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder with xquad_ar/ and tydiqa_goldp_ar/ (default: ../shared/eval, "
                   "or $ASSISTANT_EVAL_DIR).")
@_eval_methods
@_eval_json
@model_option
def eval_suite(eval_dir, methods, json_out, model_path) -> None:
    """Reproduce the README's quality tables: each Wikipedia set alone, both pooled, evidence@k
    on seeds_qa (the seed articles alone, then among the pooled passages), and the answer module on
    seeds_qa (answerable questions answered, unanswerable declined, who says what on conflicts.jsonl).

    \b
    Example:
        assistant eval-suite --json eval-results.json
    """
    from ..evaluate import EVIDENCE_SET, find_eval_dir, run_evidence_suite, run_suite

    cfg = config(model_path=model_path, eval_dir=eval_dir)
    embedder = make_embedder(cfg)
    runs = run_suite(embedder, cfg, methods=tuple(dict.fromkeys(methods)))
    evidence = answers = None
    if (find_eval_dir(cfg) / EVIDENCE_SET).is_dir():
        from ..answer.evaluation import run_answer_eval

        evidence = run_evidence_suite(embedder, cfg)
        answers = run_answer_eval(embedder, cfg)
    else:
        click.echo(f"note: no {EVIDENCE_SET}/ in {find_eval_dir(cfg)}; the evidence table is skipped", err=True)
    _report_eval(runs, json_out, evidence, answers)


@click.command(name="eval-answers")
@click.option("--eval-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder with seeds_qa/ (default: ../shared/eval, or $ASSISTANT_EVAL_DIR).")
@click.option("--verbose", is_flag=True, help="Also list every miss.")
@_eval_json
@model_option
def eval_answers(eval_dir, verbose, json_out, model_path) -> None:
    """The answer module on seeds_qa alone (also part of eval-suite): answerable questions answered,
    unanswerable ones declined, and who says what on conflicts.jsonl.

    \b
    Example:
        assistant eval-answers --verbose
    """
    from ..answer.evaluation import run_answer_eval

    cfg = config(model_path=model_path, eval_dir=eval_dir)
    result = run_answer_eval(make_embedder(cfg), cfg)
    for line in result.lines():
        click.echo(line)
    if verbose:
        click.echo("\n".join(["", "misses:", *result.misses]))
    if json_out:
        json_out.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=1), "utf-8")


COMMANDS = (eval_cmd, eval_suite, eval_answers)
