"""The `assistant` command line. Library errors become one-line messages here, nowhere else."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from .config import Config

DEFAULT_SOURCE = Path("seeds")


class UserError(click.ClickException):
    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _user_errors():
    """The library's domain errors, imported lazily (they pull in numpy)."""
    from .config import ConfigError
    from .corpus import CorpusError
    from .lock import IndexBusyError
    from .model_store import ModelError
    from .search import QueryError
    from .sources import SourceError
    from .store import IndexStateError

    return (ConfigError, ModelError, QueryError, SourceError, IndexStateError, CorpusError, IndexBusyError)


class Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            if isinstance(exc, _user_errors()):
                raise UserError(str(exc)) from None
            raise


index_option = click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
                            help="Index folder (default: index/, or $ASSISTANT_INDEX_DIR).")
model_option = click.option("--model-path", default=None,
                            help="Local sentence-transformers folder (or $ASSISTANT_MODEL_PATH).")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
def cli(verbose: bool) -> None:
    """Arabic search and question answering over your documents, with exact citations.

    \b
    Example:
        assistant build
        assistant search "كم عدد قتلى قوات سوريا الديمقراطية؟"
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")


def make_embedder(config: Config):
    from .embed import make_embedder as embedder_for  # lazily: `assistant --help` stays instant

    return embedder_for(config)


def open_searcher(config: Config):
    from .search import Searcher
    from .store import load_index

    index = load_index(config.index_dir)  # check the index before paying for the model
    return Searcher(index, make_embedder(config), candidates=config.candidates,
                    max_query_chars=config.max_query_chars)


@cli.command()
@click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path),
              help="File or folder of documents (.txt, .md, .jsonl); repeatable. Default: seeds/.")
@index_option
@model_option
def build(sources: tuple[Path, ...], index_dir: Path | None, model_path: str | None) -> None:
    """Read documents, cut them into passages and build the hybrid index.

    \b
    Example:
        assistant build --source seeds/ --index index/
    """
    from .sources import read_documents
    from .store import build_index

    config = Config.from_env(index_dir=index_dir, model_path=model_path)
    roots = list(sources) or [DEFAULT_SOURCE]
    docs = read_documents(roots)
    embedder = make_embedder(config)
    settings = _build_settings(config)
    gen = build_index(docs, embedder, config.index_dir, settings=settings,
                      source_roots=[str(r) for r in roots], show_progress=True)
    manifest = json.loads((gen / "manifest.json").read_text("utf-8"))
    click.echo(f"indexed {manifest['counts']['documents']} documents, "
               f"{manifest['counts']['passages']} passages into {config.index_dir}")


def _hits_json(query_id, query: str, hits) -> dict:
    return {"id": query_id, "query": query, "results": [h.to_dict() for h in hits]}


def _print_hits(hits) -> None:
    if not hits:
        click.echo("no matching passages")
    for h in hits:
        s = h.source
        label = " · ".join(x for x in (s.title, s.outlet, s.date) if x)
        click.echo(f"{h.rank}. [{h.score:.4f}] {label}")
        click.echo(f"   {h.passage.text}")
        click.echo(f"   ↳ {s.path or s.doc_id} [{h.passage.start}:{h.passage.end}]  ({h.passage.passage_id})")
        click.echo()


def _read_batch(path: Path) -> list[tuple[object, str]]:
    from .sources import SourceError

    rows = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read batch file ({exc})") from exc
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            rows.append((rec.get("id", lineno), str(rec["text"])))
        except (json.JSONDecodeError, KeyError, AttributeError, TypeError) as exc:
            raise SourceError(f"{path}:{lineno}: expected {{\"id\": ..., \"text\": ...}}") from exc
    return rows


@cli.command()
@click.argument("question", required=False)
@click.option("-k", "top_k", type=click.IntRange(1, 100), default=None, help="Number of passages (default 5).")
@click.option("--batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='JSONL file of {"id": ..., "text": ...} questions.')
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question.")
@click.option("--method", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@index_option
@model_option
def search(question, top_k, batch, as_json, method, index_dir, model_path) -> None:
    """Find the passages that answer a question, with citations.

    \b
    Examples:
        assistant search "كم عدد السيارات المفخخة؟" -k 3
        assistant search --batch questions.jsonl --json
    """
    if (question is None) == (batch is None):
        raise UserError("give either a QUESTION or --batch FILE")
    if batch and not as_json:
        raise UserError("--batch writes JSON lines; add --json")
    config = Config.from_env(index_dir=index_dir, model_path=model_path, top_k=top_k)
    if question is not None:
        from .search import check_query

        check_query(question, config.max_query_chars)  # fail before loading the model
    rows = _read_batch(batch) if batch else [(None, question)]
    searcher = open_searcher(config)
    for query_id, text in rows:
        hits = searcher.search(text, config.top_k, method=method)
        if as_json:
            click.echo(json.dumps(_hits_json(query_id, text, hits), ensure_ascii=False))
        else:
            _print_hits(hits)


@cli.command()
@index_option
def check(index_dir: Path | None) -> None:
    """Check that the index loads and matches this version; exit non-zero otherwise.

    \b
    Example:
        assistant check --index index/
    """
    from .store import load_index

    config = Config.from_env(index_dir=index_dir)
    index = load_index(config.index_dir)
    counts = index.manifest["counts"]
    click.echo(f"ok: {counts['documents']} documents, {counts['passages']} passages, "
               f"model {index.manifest['model']['id']}")


@cli.command(name="model")
@model_option
def model_cmd(model_path: str | None) -> None:
    """Fetch (once) and verify the embedding model, then print its folder.

    \b
    Example:
        assistant model
    """
    from .model_store import fetch_model, resolve_model_path

    click.echo(resolve_model_path(model_path) if model_path else fetch_model())


def _build_settings(config: Config):
    from .store import BuildSettings

    return BuildSettings(max_chars=config.max_passage_chars, overlap=config.overlap_sentences)




@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; 0.0.0.0 exposes the UI to your network.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True)
@index_option
@model_option
def serve(host: str, port: int, index_dir: Path | None, model_path: str | None) -> None:
    """Serve the web UI (search, chat, sources) on an existing index; builds nothing.

    \b
    Example:
        assistant serve --index index/ --port 7860
    """
    from .store import load_index
    from .ui import serve as serve_ui

    config = Config.from_env(index_dir=index_dir, model_path=model_path)
    load_index(config.index_dir)  # a missing or stale index fails here, before the model loads
    click.echo(f"serving on http://{host}:{port} (Ctrl+C to stop)")
    serve_ui(config, host, port)


@cli.command("compile")
@model_option
@click.pass_context
def compile_query_path(ctx, model_path: str | None) -> None:
    """Compile the fast query path for this machine (once, 1-3 min; cached beside the model).

    `assistant serve` does this by itself in the background; this runs it now, in the foreground.

    \b
    Example:
        assistant compile
    """
    from .query_graph import main as compile_main

    config = Config.from_env(model_path=model_path)
    args = ["--precision", config.precision] + (["--model-path", config.model_path] if config.model_path else [])
    ctx.exit(compile_main(args))


@cli.command()
@click.argument("question")
@click.option("-k", "top_k", type=click.IntRange(1, 50), default=8, show_default=True,
              help="Passages the answer may cite.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@index_option
@model_option
def ask(question, top_k, as_json, index_dir, model_path) -> None:
    """Answer a question with cited sentences from the sources, and show where they differ.

    \b
    Example:
        assistant ask "كم عدد قتلى قوات سوريا الديمقراطية؟" --json
    """
    from .answer import answer_question, answer_text
    from .search import check_query

    config = Config.from_env(index_dir=index_dir, model_path=model_path)
    check_query(question, config.max_query_chars)  # fail before loading the model
    answer = answer_question(open_searcher(config), question, top_k)
    click.echo(json.dumps(answer.to_dict(), ensure_ascii=False) if as_json else answer_text(answer))


# Commands of their own modules register themselves on `cli` when imported.
from . import cli_corpus, cli_eval  # noqa: E402, F401


def main() -> None:
    cli(prog_name="assistant")


if __name__ == "__main__":
    sys.exit(main())
