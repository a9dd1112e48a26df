"""The `assistant` command line. It only translates: options in, library calls, text or JSON out.

Library errors (``AssistantError``) become one-line messages here (``common.Group``), nowhere else.
"""

from __future__ import annotations

import logging

import click

from . import corpus, evaluate, query, server, users
from .common import Group


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
def cli(verbose: bool) -> None:
    """Arabic search and question answering over your documents, with exact citations.

    \b
    Example:
        assistant build
        assistant search "متى بدأ الهجوم؟"
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")


for _command in (*corpus.COMMANDS, *query.COMMANDS, *evaluate.COMMANDS, *server.COMMANDS, *users.COMMANDS):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="assistant")
