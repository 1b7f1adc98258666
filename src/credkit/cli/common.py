"""Helpers every credkit command shares: one-line errors with exit code 2, JSON in and out."""

from __future__ import annotations

import functools
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from credkit.errors import CredkitError
from credkit.identity import passphrase as phrases
from credkit.identity.keys import ClearKeyWarning

F = TypeVar("F", bound=Callable[..., Any])
EXIT_UNUSABLE = 2


def error_text(what: str, source: str | None = None, fix: str | None = None) -> str:
    """The one error shape: ``<what> (<input>): <how to fix>``, the parts that are known.

    The CLI prints it after ``credkit: error:``; ``--json`` carries the same text in ``errors``.
    """
    text = what.rstrip(". ")
    if source and source not in text:  # a message that names its input already says it
        text += f" ({source})"
    if fix:
        text += f": {fix}"
    return text


def fail(
    message: str,
    code: int = EXIT_UNUSABLE,
    *,
    source: str | None = None,
    fix: str | None = None,
) -> NoReturn:
    click.echo(f"credkit: error: {error_text(message, source, fix)}", err=True)
    sys.exit(code)


# the cryptosuites credkit signs with, for the CLI's --suite choices without importing the suites
# (and pyld) at start-up; tests/test_cli_lazy.py holds it equal to credkit.proofs.suites.SUITES
SUITE_NAMES = ("Ed25519Signature2020", "eddsa-jcs-2022", "eddsa-rdfc-2022")


class CredkitGroup(click.Group):
    """A click group whose usage errors read like every other credkit error, exit 2.

    click's own shape ("Usage: …", "Try …", "Error: …") was a third style next to credkit's
    one-line errors and the JSON problems; this prints ``credkit: error: <what> (<where>): <fix>``.

    Commands named in :attr:`lazy` are imported when first asked for: a command pays at
    start-up only for its own module (every ``credkit`` process imported all of them, a
    third of a second before doing anything).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, str] = {}  # command name -> "module:attribute"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, _, attr = self.lazy[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        phrases.configure(prompt=True)  # a key passphrase may be asked for on a terminal
        _one_line_key_warnings()
        try:
            super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("credkit: aborted", err=True)
            sys.exit(1)
        except click.UsageError as exc:
            no_args = getattr(click.exceptions, "NoArgsIsHelpError", None)
            if no_args is not None and isinstance(exc, no_args) and exc.ctx is not None:
                click.echo(exc.ctx.get_help(), err=True)  # `credkit trust`: show what it offers
                sys.exit(EXIT_UNUSABLE)
            command = exc.ctx.command_path if exc.ctx is not None else "credkit"
            what = exc.format_message()
            what = what[:1].lower() + what[1:]  # click says "No such option"; credkit, lowercase
            fail(what, source=command, fix=f"see `{command} --help`")
        except click.ClickException as exc:
            fail(exc.format_message())
        sys.exit(0)


_default_showwarning = warnings.showwarning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    if issubclass(category, ClearKeyWarning):
        click.echo(f"credkit: warning: {message}", err=True)
        return
    _default_showwarning(message, category, filename, lineno, file, line)


def _one_line_key_warnings() -> None:
    """A clear key file is reported as one ``credkit: warning:`` line, once per process."""
    warnings.showwarning = _show_warning
    warnings.simplefilter("once", ClearKeyWarning)


def _use_passphrase_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        phrases.configure(file=value)


passphrase_option = click.option(
    "--passphrase-file",
    metavar="FILE",
    expose_value=False,
    callback=_use_passphrase_file,
    help=(
        "Read the key passphrase from FILE's first line (/dev/fd/N: an inherited descriptor); "
        f"else {phrases.ENV}, else a prompt on a terminal. Never give it in argv."
    ),
)


def friendly(func: F) -> F:
    """Report credkit errors, bad JSON and file errors as one line and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CredkitError as exc:
            fail(exc.message)
        except json.JSONDecodeError as exc:
            fail(f"input is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
        except UnicodeDecodeError:
            fail("input is not UTF-8 text")
        except OSError as exc:
            fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        except RecursionError:
            fail("input is nested too deeply")

    return wrapper  # type: ignore[return-value]


def read_json(source: str, max_bytes: int = 1 << 20) -> Any:
    """Read a JSON document from a path or ``-`` (stdin), refusing oversized input."""
    if source == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        with open(source, "rb") as fh:
            data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        fail(f"input is larger than {max_bytes} bytes")
    return json.loads(data.decode("utf-8-sig"))


def write_json(document: Any, out: str | None) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out is None or out == "-":
        click.echo(text, nl=False)
    else:
        Path(out).write_text(text, encoding="utf-8")
