"""``python -m pulumi_flowroute COMMAND``: the library's commands for an infra repo.

``split VERB --stack NAME``: run one stack-config fleet as several stacks in parallel
(see :mod:`pulumi_flowroute.split`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import split


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pulumi_flowroute")
    commands = parser.add_subparsers(dest="command", required=True)
    split_command = commands.add_parser(
        "split",
        help="run a stack-config fleet as stacks of at most --per-stack numbers, in parallel",
        description=split.__doc__.split("\n\n")[0] if split.__doc__ else None,
    )
    split_command.add_argument("verb", choices=split.VERBS)
    split_command.add_argument(
        "--stack", required=True, help="the stack whose file describes the whole fleet"
    )
    split_command.add_argument(
        "--per-stack", type=int, default=250, help="numbers per stack (default 250)"
    )
    split_command.add_argument(
        "--parallel",
        type=int,
        default=os.cpu_count() or 1,
        help="stacks run at once (default: one per CPU)",
    )
    split_command.add_argument(
        "--cwd", type=Path, default=Path.cwd(), help="the project directory (default: here)"
    )
    args = parser.parse_args(argv)
    return split.main(args.verb, args.stack, args.per_stack, args.parallel, args.cwd.resolve())


if __name__ == "__main__":
    sys.exit(main())
