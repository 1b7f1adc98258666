"""Helpers every credkit command shares: one-line errors with exit code 2, JSON in and out."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from credkit.errors import CredkitError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_UNUSABLE = 2


def fail(message: str, code: int = EXIT_UNUSABLE) -> NoReturn:
    click.echo(f"credkit: error: {message}", err=True)
    sys.exit(code)


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
