"""`assistant serve / compile / model`: the web UI, the fast query path, the model on disk."""

from __future__ import annotations

from pathlib import Path

import click

from .common import config, index_option, model_option


@click.command()
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
    from ..store import load_index
    from ..ui.server import serve as serve_ui

    cfg = config(index_dir=index_dir, model_path=model_path)
    load_index(cfg.index_dir)  # a missing or stale index fails here, before the model loads
    click.echo(f"serving on http://{host}:{port} (Ctrl+C to stop)")
    serve_ui(cfg, host, port)


@click.command("compile")
@model_option
@click.pass_context
def compile_query_path(ctx, model_path: str | None) -> None:
    """Compile the fast query path for this machine (once, 1-3 min; cached beside the model).

    `assistant serve` does this by itself in the background; this runs it now, in the foreground.

    \b
    Example:
        assistant compile
    """
    from ..embedding.compile import main as compile_main

    cfg = config(model_path=model_path)
    args = ["--precision", cfg.precision] + (["--model-path", cfg.model_path] if cfg.model_path else [])
    ctx.exit(compile_main(args))


@click.command(name="model")
@model_option
def model_cmd(model_path: str | None) -> None:
    """Fetch (once) and verify the embedding model, then print its folder.

    \b
    Example:
        assistant model
    """
    from ..embedding.model_store import fetch_model, resolve_model_path

    click.echo(resolve_model_path(model_path) if model_path else fetch_model())


COMMANDS = (serve, compile_query_path, model_cmd)
