"""What every command shares: the one-line error handling, the common options, the Config."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import Config
from ..errors import AssistantError


class UserError(click.ClickException):
    """Printed as ``error: <message>`` on one line, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class Group(click.Group):
    """Turns the library's errors (``AssistantError``) into one-line messages; anything else is a
    bug and keeps its traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AssistantError as exc:
            raise UserError(str(exc)) from None


index_option = click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
                            help="Index folder (default: index/, or $ASSISTANT_INDEX_DIR).")
model_option = click.option("--model-path", default=None,
                            help="Local sentence-transformers folder (or $ASSISTANT_MODEL_PATH).")


def config(**overrides) -> Config:
    """The one Config: defaults, then ASSISTANT_* variables, then the options given."""
    return Config.from_env(**overrides)


def make_embedder(cfg: Config):
    """The embedder ``cfg`` asks for, imported lazily so `assistant --help` stays instant."""
    from ..embedding.embedder import make_embedder as embedder_for

    return embedder_for(cfg)
