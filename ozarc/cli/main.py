"""``ozarc`` command line: parse arguments, dispatch to one subcommand module, map errors.

The CLI is thin: every subcommand module (create, extract, test, list, cat) parses its own
options and calls the public API in :mod:`ozarc.api`.  This module owns what all of them share:
the parser, ``--debug``, and turning exceptions into one line on stderr and an exit code, so
that no traceback reaches a user unless they asked for it.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from ozarc import __version__
from ozarc.cli import cat as cat_cmd
from ozarc.cli import create as create_cmd
from ozarc.cli import extract as extract_cmd
from ozarc.cli import list as list_cmd
from ozarc.cli import test as test_cmd
from ozarc.errors import EXIT_FATAL, EXIT_OK, OzarcError, UsageError

EXIT_INTERRUPTED = 130

#: Subcommand verb -> module with ``add_parser(subparsers, parents)`` and ``run(args) -> int``.
COMMANDS = {
    "c": create_cmd,
    "x": extract_cmd,
    "t": test_cmd,
    "l": list_cmd,
    "cat": cat_cmd,
}


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str):  # noqa: D401  (argparse's name)
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on errors")
    parser = _Parser(prog="ozarc", description="A tar-like archiver with learned codecs.")
    parser.add_argument("--version", action="version", version=f"ozarc {__version__}")
    parser.add_argument("--debug", action="store_true", default=False,
                        help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMANDS.values():
        module.add_parser(sub, [common])
    return parser


def _fail(message: str) -> None:
    sys.stderr.write(f"ozarc: error: {message}\n")
    sys.stderr.flush()


def _os_error_message(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.filename is not None:
        return f"{exc.filename}: {reason}"
    return reason


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command].run(args)
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        sys.stderr.write("ozarc: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our stdout went away (``ozarc cat a.oz f | head``): not an error.
        _silence_stdout()
        return EXIT_OK
    except OzarcError as exc:
        if debug:
            traceback.print_exc()
        _fail(str(exc))
        return exc.exit_code
    except OSError as exc:
        if debug:
            traceback.print_exc()
        _fail(_os_error_message(exc))
        return EXIT_FATAL
    except Exception as exc:  # noqa: BLE001  (the promise: no traceback without --debug)
        if debug:
            traceback.print_exc()
        _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return EXIT_FATAL


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
