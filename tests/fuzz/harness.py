"""The CLI contract the fuzz tests assert, and an in-process runner for it.

Contract: every invocation ends with a documented exit code (0 success, 2 usage, 3 unknown
place, 4 no route, 5 bad data); a failure prints exactly one line on standard error and no
traceback; ``--json`` output that succeeds parses as strict JSON (no NaN or Infinity); no
temporary file is left beside an output.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corridors.cli import main

EXIT_CODES = {0, 2, 3, 4, 5}
#: Examples per fuzz test; ``CORRIDORS_FUZZ_EXAMPLES=N`` for a deep run.
EXAMPLES = int(os.environ.get("CORRIDORS_FUZZ_EXAMPLES", "0") or 0)


def examples(default: int) -> int:
    """How many examples a fuzz test runs: its default, or the deep-run setting."""
    return EXAMPLES or default


@dataclass
class Outcome:
    """What one invocation did."""

    argv: list[str]
    code: int
    out: str
    err: str


def _strict(value: str) -> None:
    raise ValueError(f"non-standard JSON constant {value}")


def run(argv: Sequence[str]) -> Outcome:
    """Run the CLI in this process; fail (with the traceback) on any exception it lets escape."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    except SystemExit as exc:  # argparse (usage errors, --help, --version)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except BaseException:
        raise AssertionError(f"traceback for {list(argv)!r}:\n{traceback.format_exc()}") from None
    return Outcome(list(argv), code, out.getvalue(), err.getvalue())


def check(outcome: Outcome, output_dirs: Sequence[Path] = ()) -> Outcome:
    """Assert the contract on one outcome."""
    o = outcome
    assert o.code in EXIT_CODES, f"exit {o.code} for {o.argv!r}: {o.err}"
    assert "Traceback" not in o.err, f"traceback for {o.argv!r}: {o.err}"
    if o.code != 0:
        lines = [line for line in o.err.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one error line for {o.argv!r}, got: {o.err!r}"
    elif "--json" in o.argv and o.out.strip() and not {"--help", "-h", "--version"} & set(o.argv):
        json.loads(o.out, parse_constant=_strict)
    for folder in output_dirs:
        left = [p.name for p in Path(folder).glob(".corridors-tmp-*")]
        assert not left, f"temporary files left by {o.argv!r}: {left}"
    return o
