"""`assistant add / remove / list / rebuild`: keep a user's collection current, incrementally."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .cli import _build_settings, cli, index_option, make_embedder, model_option
from .config import Config


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@model_option
def add(paths: tuple[Path, ...], index_dir: Path | None, model_path: str | None) -> None:
    """Add or update documents (.txt .md .html .pdf .docx .jsonl files or folders).

    Only new or changed text is embedded; unreadable files are skipped with a message.

    \b
    Example:
        assistant add reports/ article.pdf --index index/
    """
    from .corpus import add_paths

    config = Config.from_env(index_dir=index_dir, model_path=model_path)
    report = add_paths(config.index_dir, list(paths), lambda: make_embedder(config),
                       settings=_build_settings(config), show_progress=True)
    for message in report.skipped:
        click.echo(f"skipped: {message}", err=True)
    for name, doc_id in report.duplicates:
        click.echo(f"duplicate: {name} has the same text as indexed document {doc_id}; not added", err=True)
    for label, ids in (("added", report.added), ("updated", report.updated)):
        for doc_id in ids:
            click.echo(f"{label}: {doc_id}")
    if report.unchanged:
        click.echo(f"unchanged: {len(report.unchanged)} documents")
    click.echo(f"index {config.index_dir}: {report.documents} documents, {report.passages} passages "
               f"({report.embedded} newly embedded)")


@cli.command()
@click.argument("doc_ids", nargs=-1, required=True)
@index_option
def remove(doc_ids: tuple[str, ...], index_dir: Path | None) -> None:
    """Remove documents by id (see `assistant list`); nothing is re-embedded.

    \b
    Example:
        assistant remove 003_3e8898654369a8c4 --index index/
    """
    from .corpus import remove_documents

    config = Config.from_env(index_dir=index_dir)
    counts = remove_documents(config.index_dir, list(doc_ids))
    click.echo(f"removed: {', '.join(counts['removed'])}")
    click.echo(f"index {config.index_dir}: {counts['documents']} documents, {counts['passages']} passages")


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document.")
@index_option
def list_cmd(as_json: bool, index_dir: Path | None) -> None:
    """List the indexed documents with their metadata and passage counts.

    \b
    Example:
        assistant list --index index/ --json
    """
    from .corpus import list_documents

    config = Config.from_env(index_dir=index_dir)
    for info in list_documents(config.index_dir):
        if as_json:
            click.echo(json.dumps(info.to_dict(), ensure_ascii=False))
            continue
        label = " · ".join(x for x in (info.title, info.outlet, info.date) if x)
        click.echo(f"{info.doc_id}\t{info.passages} passages\t{label}")


@cli.command()
@index_option
@model_option
def rebuild(index_dir: Path | None, model_path: str | None) -> None:
    """Re-chunk and re-embed every indexed document from its stored text (after a model or
    version change; the original files are not needed).

    \b
    Example:
        assistant rebuild --index index/
    """
    from .corpus import rebuild as rebuild_index

    config = Config.from_env(index_dir=index_dir, model_path=model_path)
    counts = rebuild_index(config.index_dir, make_embedder(config), settings=_build_settings(config),
                           show_progress=True)
    click.echo(f"rebuilt {config.index_dir}: {counts['documents']} documents, {counts['passages']} passages")
