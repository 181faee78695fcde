"""What every command shares: turning errors into `Error: ...` messages and exit codes."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from aigraph.errors import AigraphError

F = TypeVar("F", bound=Callable[..., Any])


def fail(exc: AigraphError) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(exc.exit_code)  # 1, or 2 for a SPARQL syntax error


def guard(func: F) -> F:
    """Turn aigraph's errors into `Error: ...` and exit code 1 (2 for SPARQL syntax and usage errors); any
    other exception into a one-line internal error (exit 1), Ctrl-C into exit 130. Never a traceback,
    unless -v asks for it."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AigraphError as exc:
            fail(exc)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except UnicodeDecodeError as exc:  # a user's file (a query, gold annotations) that is not UTF-8 text
            click.echo(f"Error: an input file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                       f"{exc.start}); convert it, e.g. `iconv -f cp1252 -t utf-8 FILE > FILE.utf8`", err=True)
            sys.exit(1)
        except BrokenPipeError:  # `aigraph query ... | head`: the reader left, nothing more to say
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:
            if logging.getLogger("aigraph").isEnabledFor(logging.INFO):
                logging.getLogger("aigraph").error("internal error", exc_info=True)
            message = " ".join(str(exc).split())[:500]
            click.echo(f"Error: internal error: {type(exc).__name__}: {message} (run with -v for the traceback; "
                       "please report it)", err=True)
            sys.exit(1)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]
