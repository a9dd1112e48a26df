"""`assistant build / add / remove / list / rebuild / check`: make and keep a collection's index."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import config, index_option, make_embedder, model_option

ray_option = click.option("--ray", "ray_address", default=None, metavar="auto|ADDRESS",
                          help="Embed on a Ray cluster (auto: the one this machine belongs to). "
                               "Needs: pip install 'arabic-assistant[distributed]'.")


class Embedders:
    """Makes the command's embedder when the library asks (local, or on Ray with --ray) and, once
    the command has committed, lets a Ray embedder drop its checkpoints."""

    def __init__(self, cfg, ray_address: str | None):
        self.cfg, self.ray_address, self.made = cfg, ray_address, []
        if ray_address:
            from ..embedding.distributed import import_ray

            import_ray()  # a missing extra is named before anything is read or loaded

    def __call__(self):
        if self.ray_address:
            from ..embedding.distributed import make_ray_embedder

            self.made.append(make_ray_embedder(self.cfg, self.ray_address, self.cfg.index_dir))
        else:
            self.made.append(make_embedder(self.cfg))
        return self.made[-1]

    def done(self) -> None:
        for embedder in self.made:
            if hasattr(embedder, "close"):
                embedder.close()
                click.echo(f"ray: {embedder.remote} texts embedded on {len(embedder.nodes)} nodes, "
                           f"{embedder.resumed} resumed from checkpoints", err=True)

DEFAULT_SOURCE = Path("seeds")


@click.command()
@click.option("--source", "sources", multiple=True, type=click.Path(path_type=Path),
              help="File or folder of documents (.txt .md .html .pdf .docx .jsonl); repeatable. Default: seeds/.")
@index_option
@model_option
@ray_option
def build(sources: tuple[Path, ...], index_dir: Path | None, model_path: str | None, ray_address: str | None) -> None:
    """Read documents, cut them into passages and build the hybrid index. An ``examples.txt``
    beside the documents (one question per line) gives the UI its example questions.

    \b
    Example:
        assistant build --source seeds/ --index index/
    """
    from ..lock import writable_folder
    from ..sources import read_documents, read_examples
    from ..store import BuildSettings, build_index, read_manifest

    cfg = config(index_dir=index_dir, model_path=model_path)
    embedders = Embedders(cfg, ray_address)
    roots = list(sources) or [DEFAULT_SOURCE]
    docs = read_documents(roots)
    writable_folder(cfg.index_dir)  # before the model loads
    gen = build_index(docs, embedders(), cfg.index_dir, settings=BuildSettings.from_config(cfg),
                      source_roots=[str(r) for r in roots], show_progress=True, examples=read_examples(roots))
    embedders.done()
    counts = read_manifest(cfg.index_dir, gen)["counts"]
    click.echo(f"indexed {counts['documents']} documents, {counts['passages']} passages into {cfg.index_dir}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@model_option
@ray_option
def add(paths: tuple[Path, ...], index_dir: Path | None, model_path: str | None, ray_address: str | None) -> None:
    """Add or update documents (.txt .md .html .pdf .docx .jsonl files or folders).

    Only new or changed text is embedded; unreadable files are skipped with a message.

    \b
    Example:
        assistant add reports/ article.pdf --index index/
    """
    from ..corpus import add_paths
    from ..store import BuildSettings

    cfg = config(index_dir=index_dir, model_path=model_path)
    embedders = Embedders(cfg, ray_address)
    report = add_paths(cfg.index_dir, list(paths), embedders, settings=BuildSettings.from_config(cfg),
                       show_progress=True)
    embedders.done()
    for message in report.skipped:
        click.echo(f"skipped: {message}", err=True)
    for name, doc_id in report.duplicates:
        click.echo(f"duplicate: {name} has the same text as indexed document {doc_id}; not added", err=True)
    for label, ids in (("added", report.added), ("updated", report.updated)):
        for doc_id in ids:
            click.echo(f"{label}: {doc_id}")
    if report.unchanged:
        click.echo(f"unchanged: {len(report.unchanged)} documents")
    click.echo(f"index {cfg.index_dir}: {report.documents} documents, {report.passages} passages "
               f"({report.embedded} newly embedded)")


@click.command()
@click.argument("doc_ids", nargs=-1, required=True)
@index_option
def remove(doc_ids: tuple[str, ...], index_dir: Path | None) -> None:
    """Remove documents by id (see `assistant list`); nothing is re-embedded.

    \b
    Example:
        assistant remove 003_3e8898654369a8c4 --index index/
    """
    from ..corpus import remove_documents

    cfg = config(index_dir=index_dir)
    counts = remove_documents(cfg.index_dir, list(doc_ids))
    click.echo(f"removed: {', '.join(counts['removed'])}")
    click.echo(f"index {cfg.index_dir}: {counts['documents']} documents, {counts['passages']} passages")


@click.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document.")
@index_option
def list_cmd(as_json: bool, index_dir: Path | None) -> None:
    """List the indexed documents with their metadata and passage counts.

    \b
    Example:
        assistant list --index index/ --json
    """
    from ..corpus import list_documents

    cfg = config(index_dir=index_dir)
    for info in list_documents(cfg.index_dir):
        if as_json:
            click.echo(json.dumps(info.to_dict(), ensure_ascii=False))
            continue
        label = " · ".join(x for x in (info.title, info.outlet, info.date) if x)
        click.echo(f"{info.doc_id}\t{info.passages} passages\t{label}")


@click.command()
@index_option
@model_option
@ray_option
def rebuild(index_dir: Path | None, model_path: str | None, ray_address: str | None) -> None:
    """Re-chunk and re-embed every indexed document from its stored text (after a model or
    version change; the original files are not needed).

    \b
    Example:
        assistant rebuild --index index/
    """
    from ..corpus import rebuild as rebuild_index
    from ..store import BuildSettings

    cfg = config(index_dir=index_dir, model_path=model_path)
    embedders = Embedders(cfg, ray_address)
    counts = rebuild_index(cfg.index_dir, embedders, settings=BuildSettings.from_config(cfg), show_progress=True)
    embedders.done()
    click.echo(f"rebuilt {cfg.index_dir}: {counts['documents']} documents, {counts['passages']} passages")


@click.command()
@index_option
def optimize(index_dir: Path | None) -> None:
    """Merge all segments of the index into one, dropping removed documents for good (search is
    a little faster on one segment; `add` and `remove` also merge automatically when segments pile up).

    \b
    Example:
        assistant optimize --index index/
    """
    from ..merge import optimize as optimize_index

    cfg = config(index_dir=index_dir)
    counts = optimize_index(cfg.index_dir)
    what = f"merged {counts['merged']} segments into 1" if counts["merged"] else "already one segment"
    click.echo(f"{what}: {cfg.index_dir} has {counts['documents']} documents, {counts['passages']} passages")


@click.command()
@index_option
def check(index_dir: Path | None) -> None:
    """Check that the index loads and matches this version; exit non-zero otherwise.

    \b
    Example:
        assistant check --index index/
    """
    from ..store import load_index

    index = load_index(config(index_dir=index_dir).index_dir)
    counts = index.manifest["counts"]
    click.echo(f"ok: {counts['documents']} documents, {counts['passages']} passages in "
               f"{len(index.manifest['segments'])} segments, model {index.manifest['model']['id']}")


COMMANDS = (build, add, remove, list_cmd, rebuild, optimize, check)
