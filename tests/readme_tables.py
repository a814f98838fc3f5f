"""Regenerate what the README and the fidelity guard take from the model: ``python tests/readme_tables.py``.

- README.md, between ``<!-- fidelity:begin -->`` and ``<!-- fidelity:end -->``: the table of
  ``python -m corridors fidelity --markdown`` (the tests check the README holds exactly that).
- README.md, the quick start's example output of ``route Termez Karachi``.
- README.md, between ``<!-- assign-compare:begin -->`` and ``<!-- assign-compare:end -->``: the
  tables of ``python -m corridors assign --markdown`` (modelled against observed).
- geodata/SOURCES.md, from ``## All cited URLs, by domain`` to the end: every URL of a
  ``source`` field in ``geodata/`` (CSV and TOML files), grouped by domain (:func:`sources_index`).
- tests/fidelity_passing.txt: the observations that pass now. ``test_fidelity_shipped`` fails
  when one of them stops passing, so run this after a change that makes more rows pass (and
  never to hide a regression: a row that fails after a change of the model is a finding).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- fidelity:begin -->", "<!-- fidelity:end -->"
BLOCK = re.compile(re.escape(BEGIN) + r"\n(.*?)\n?" + re.escape(END), re.S)


def corridors_output(*args: str) -> str:
    """What ``python -m corridors ARGS`` prints on standard output (run from the repository)."""
    return subprocess.run(
        [sys.executable, "-m", "corridors", *args], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout


def fidelity_markdown() -> str:
    """The fidelity table as the command prints it."""
    return corridors_output("fidelity", "--markdown").strip()


ASSIGN_BEGIN, ASSIGN_END = "<!-- assign-compare:begin -->", "<!-- assign-compare:end -->"
ASSIGN_BLOCK = re.compile(re.escape(ASSIGN_BEGIN) + r"\n(.*?)\n?" + re.escape(ASSIGN_END), re.S)


def assign_markdown() -> str:
    """The modelled-against-observed tables as ``assign --markdown`` prints them."""
    return corridors_output("assign", "--markdown").strip()


def readme_assign_block(readme: str) -> str | None:
    """The generated assign tables currently in the README, or None if the markers are missing."""
    m = ASSIGN_BLOCK.search(readme)
    return m.group(1).strip("\n") if m else None


EXAMPLE = re.compile(r"Example output \(`python -m corridors route Termez Karachi`\):\n\n```text\n(.*?)\n```", re.S)


def example_output() -> str:
    """What ``python -m corridors route Termez Karachi`` prints now."""
    return corridors_output("route", "Termez", "Karachi").rstrip("\n")


def readme_example(readme: str) -> str | None:
    """The example output block of the README's quick start, or None."""
    m = EXAMPLE.search(readme)
    return m.group(1) if m else None


def readme_block(readme: str) -> str | None:
    """The generated table currently in the README, or None if the markers are missing."""
    m = BLOCK.search(readme)
    return m.group(1).strip("\n") if m else None


SOURCES_HEADING = "## All cited URLs, by domain"
URL = re.compile(r"https?://[^\s;,\"'<>]+")


def sources_index() -> str:
    """The URL index of geodata/SOURCES.md: every URL cited in geodata's CSV and TOML files, by domain."""
    domains: dict[str, set[str]] = {}
    for path in sorted((REPO / "geodata").rglob("*")):
        if path.is_file() and path.suffix in (".csv", ".toml"):
            for url in URL.findall(path.read_text(encoding="utf-8")):
                url = url.rstrip(").")
                host = url.split("://", 1)[1].split("/", 1)[0].lower().removeprefix("www.")
                domains.setdefault(host, set()).add(url)
    lines = [
        SOURCES_HEADING,
        "",
        "Generated from the `source` fields by `python tests/readme_tables.py`; domains sorted"
        " alphabetically (leading `www.` dropped), URLs sorted within each domain.",
    ]
    for host in sorted(domains):
        lines += ["", f"### {host} ({len(domains[host])})", ""]
        lines += [f"- <{u}>" for u in sorted(domains[host])]
    return "\n".join(lines) + "\n"


def sources_md_index(text: str) -> str | None:
    """The URL index as it stands in SOURCES.md (None without the heading)."""
    i = text.find(SOURCES_HEADING)
    return None if i < 0 else text[i:]


def main() -> None:
    """Rewrite the README table and the list of passing observations."""
    import json

    table = fidelity_markdown()
    path = REPO / "README.md"
    text = path.read_text(encoding="utf-8")
    if readme_block(text) is None:
        raise SystemExit(f"README.md has no {BEGIN} ... {END} block")
    text = BLOCK.sub(lambda _: f"{BEGIN}\n{table}\n{END}", text)
    if readme_assign_block(text) is None:
        raise SystemExit(f"README.md has no {ASSIGN_BEGIN} ... {ASSIGN_END} block")
    compare = assign_markdown()
    text = ASSIGN_BLOCK.sub(lambda _: f"{ASSIGN_BEGIN}\n{compare}\n{ASSIGN_END}", text)
    m = EXAMPLE.search(text)
    if m is None:
        raise SystemExit("README.md has no example output block")
    text = text[: m.start(1)] + example_output() + text[m.end(1) :]
    path.write_text(text, encoding="utf-8")
    doc = json.loads(
        subprocess.run(
            [sys.executable, "-m", "corridors", "fidelity", "--json"],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        ).stdout
    )
    sources = REPO / "geodata" / "SOURCES.md"
    text = sources.read_text(encoding="utf-8")
    if sources_md_index(text) is None:
        raise SystemExit(f"geodata/SOURCES.md has no '{SOURCES_HEADING}' section")
    sources.write_text(text[: text.find(SOURCES_HEADING)] + sources_index(), encoding="utf-8")
    passing = [c["id"] for c in doc["checks"] if c["passed"]]
    header = "# observations that passed when this list was last written (tests/readme_tables.py)\n"
    (REPO / "tests" / "fidelity_passing.txt").write_text(header + "\n".join(passing) + "\n", encoding="utf-8")
    print(f"README table and tests/fidelity_passing.txt written: {doc['passed']} of {doc['total']} pass")


if __name__ == "__main__":
    main()
