#!/usr/bin/env python3
"""Write docs/cli.md from the click commands, so the CLI reference cannot drift.

    .venv/bin/python scripts/gen_cli_docs.py           # rewrite docs/cli.md
    .venv/bin/python scripts/gen_cli_docs.py --check   # exit 1 if docs/cli.md is stale

Each command's section is exactly its `--help` text, rendered at a fixed width
so the file does not depend on the terminal that generated it.
tests/test_docs.py runs the same check.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "cli.md"
WIDTH = 80

HEADER = """\
# Command-line reference

Generated from the click commands by `scripts/gen_cli_docs.py`; do not edit by
hand. After changing a command or option, regenerate it:

```
.venv/bin/python scripts/gen_cli_docs.py
```

Exit codes and the `--json` format of `cleanroom verify` are in
[verdict.md](verdict.md).
"""


def walk(
    command: click.Command, name: str, parent: click.Context | None = None
) -> Iterator[tuple[click.Context, click.Command]]:
    """Every command under `command`, depth first, each with its own context."""
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = command.context_class(command, info_name=name, parent=parent, **settings)
    yield ctx, command
    if isinstance(command, click.Group):
        for sub in command.list_commands(ctx):
            child = command.get_command(ctx, sub)
            if child is not None and not child.hidden:
                yield from walk(child, sub, ctx)


def render() -> str:
    from cleanroom.cli import main

    commands = list(walk(main, "cleanroom"))
    out = [HEADER, "## Commands\n"]
    for ctx, cmd in commands:
        anchor = ctx.command_path.replace(" ", "-")
        summary = cmd.get_short_help_str(limit=WIDTH)
        out.append(f"- [`{ctx.command_path}`](#{anchor}): {summary}")
    out.append("")
    for ctx, cmd in commands:
        out.append(f"## {ctx.command_path}\n")
        out.append("```\n" + cmd.get_help(ctx).rstrip() + "\n```\n")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/cli.md is stale")
    args = parser.parse_args()
    text = render()
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    if args.check:
        if current != text:
            print(f"{OUTPUT} is out of date; run scripts/gen_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
