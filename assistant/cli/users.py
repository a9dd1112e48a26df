"""`assistant user add / remove / list`: the users file of a shared server (see assistant.users)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..users import ROLES

users_option = click.option("--users", "users_file", type=click.Path(dir_okay=False, path_type=Path),
                            required=True, help="The users file (created by the first `user add`).")


@click.group()
def user() -> None:
    """Manage who may sign in to `assistant serve --users FILE`, and with which role.

    Passwords are read from standard input (prompted twice on a terminal), e.g.
    printf '%s\\n' "$PASSWORD" | assistant user add ...

    \b
    Example:
        assistant user add amina --role editor --users users.json
        assistant user list --users users.json
    """


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="reader: search and ask; editor: also upload and remove its uploads.")
@users_option
def add(name: str, role: str, users_file: Path) -> None:
    """Add NAME (or change its role and password); the password is read from standard input.

    Only a salted scrypt hash of the password is stored. A running server sees the change at
    the user's next request.

    \b
    Example:
        assistant user add amina --role editor --users users.json
    """
    from ..users import add_user

    if sys.stdin.isatty():
        password = click.prompt("password", hide_input=True, confirmation_prompt=True, err=True)
    else:
        password = sys.stdin.readline()
    new = add_user(users_file, name, role, password)
    click.echo(f"{'added' if new else 'updated'} {name} ({role}) in {users_file}")


@user.command("remove")
@click.argument("name")
@users_option
def remove(name: str, users_file: Path) -> None:
    """Remove NAME from the users file.

    \b
    Example:
        assistant user remove amina --users users.json
    """
    from ..users import remove_user

    remove_user(users_file, name)
    click.echo(f"removed {name} from {users_file}")


@user.command("list")
@users_option
def list_users(users_file: Path) -> None:
    """List the users and their roles (never their hashes).

    \b
    Example:
        assistant user list --users users.json
    """
    from ..users import read_users

    for name, entry in sorted(read_users(users_file).items()):
        click.echo(f"{name}\t{entry['role']}")


COMMANDS = (user,)
