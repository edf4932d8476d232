"""``python -m pulumi_flowroute COMMAND``: the library's commands for an infra repo.

``split VERB --stack NAME``: run one stack-config fleet as several stacks in parallel
(see :mod:`pulumi_flowroute.split`).

``onboard [--write stacks/Pulumi.STACK.yaml]``: describe an existing Flowroute account as the
fleet's stack config, every object adopted (see :mod:`pulumi_flowroute.onboard`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import onboard, split


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
    split_command.add_argument(
        "--yes",
        action="store_true",
        help="destroy without asking (needed when not on a terminal, as for pulumi destroy)",
    )
    onboard_command = commands.add_parser(
        "onboard",
        help="print an existing account as this project's fleet config (reads only)",
        description="Read the Flowroute account named by the flags or FLOWROUTE_ACCESS_KEY, "
        "FLOWROUTE_SECRET_KEY and FLOWROUTE_BASE_URL, and print it as stack config in the "
        "fleet format, every object adopted. It never writes to Flowroute.",
    )
    onboard_command.add_argument("--access-key", help="default: $FLOWROUTE_ACCESS_KEY")
    onboard_command.add_argument(
        "--secret-key",
        help="default: $FLOWROUTE_SECRET_KEY (prefer the variable: `ps` shows a command line)",
    )
    onboard_command.add_argument(
        "--base-url", help="default: $FLOWROUTE_BASE_URL, else https://api.flowroute.com"
    )
    onboard_command.add_argument(
        "--write",
        type=Path,
        metavar="STACK_FILE",
        help="merge into this stack file (keys and entries already there stay), replacing it "
        "atomically, instead of printing",
    )
    onboard_command.add_argument(
        "--project", help="the config namespace (default: the Pulumi.yaml project's name)"
    )
    args = parser.parse_args(argv)
    if args.command == "onboard":
        return onboard.main(
            access_key=args.access_key,
            secret_key=args.secret_key,
            base_url=args.base_url,
            write=args.write,
            project=args.project,
        )
    return split.main(
        args.verb, args.stack, args.per_stack, args.parallel, args.cwd.resolve(), yes=args.yes
    )


if __name__ == "__main__":
    sys.exit(main())
