"""`assistant serve / compile / model`: the web UI, the fast query path, the model on disk."""

from __future__ import annotations

from pathlib import Path

import click

from .common import config, index_option, model_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; 0.0.0.0 exposes the UI to your network (then --users or "
                   "--public-read-only is required).")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True)
@click.option("--users", "users_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Users file (see `assistant user add`): everyone signs in; readers search and ask, "
                   "editors also upload.")
@click.option("--public-read-only", is_flag=True,
              help="No sign-in: anyone who reaches the server may search and ask; nobody may upload.")
@click.option("--allow-host", "allow_hosts", multiple=True,
              help="A Host name the server answers to besides the loopback names and the bound "
                   "address (repeatable), e.g. newsroom.example.org.")
@index_option
@model_option
def serve(host: str, port: int, users_file: Path | None, public_read_only: bool, allow_hosts: tuple[str, ...],
          index_dir: Path | None, model_path: str | None) -> None:
    """Serve the web UI (search, chat, sources, uploads) and the HTTP API (/api/v1) on an
    existing index; builds nothing.

    The page answers within seconds; questions work once the model has loaded.

    \b
    Examples:
        assistant serve --index index/ --port 7860
        assistant serve --host 0.0.0.0 --users users.json --allow-host newsroom.example.org
    """
    from ..access import Access
    from ..store import load_index
    from ..ui.server import serve as serve_ui

    cfg = config(index_dir=index_dir, model_path=model_path)
    access = Access.for_server(host, users_file, public_read_only, allow_hosts)
    load_index(cfg.index_dir)  # a missing or stale index fails here, before the server starts
    if not any(h for h in allow_hosts) and host in ("0.0.0.0", "::"):
        click.echo("note: only requests to localhost are answered until you add --allow-host NAME "
                   "(the name or address colleagues type)", err=True)
    serve_ui(cfg, access, host, port, announce=lambda line: click.echo(line))


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
