"""Run ``pulumi preview|up|refresh|destroy`` on a Pulumi project through the real Pulumi CLI.

Usage: ``python scripts/run_stack.py up --dir PROJECT --stack dev [--cli ROOT] [--diff]``

The CLI's engine, its file backend, its diff display and its dynamic-provider plugin are the real
ones. The program is handed to the CLI through the Automation API as an inline program: the
project's own ``__main__.py`` run in this process. That stands in for the CLI's Python language
host, whose Go module the module proxy does not serve; with the language host installed, plain
``pulumi up`` in the project directory does the same.

What the CLI prints is streamed as it comes. The exit status is 0 on success, 1 when the
operation failed (the CLI's own error text is printed), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from pathlib import Path

from pulumi import automation as auto

OPERATIONS = ("preview", "up", "refresh", "destroy")


def _program(project: Path) -> auto.PulumiFn:
    def run() -> None:
        # As the language host does: the program runs from its directory, which is importable.
        os.chdir(project)
        if str(project) not in sys.path:
            sys.path.insert(0, str(project))
        runpy.run_path(str(project / "__main__.py"), run_name="__main__")

    return run


def _stack(project: Path, stack_name: str, cli_root: str | None) -> auto.Stack:
    workspace = auto.LocalWorkspace(
        work_dir=str(project),
        program=_program(project),
        pulumi_command=auto.PulumiCommand(root=cli_root) if cli_root else None,
        # The language host would hand Pulumi.yaml's `virtualenv` to the dynamic-provider plugin;
        # without it, name the environment this program runs in, so both use the same Python.
        env_vars={"PULUMI_RUNTIME_VIRTUALENV": sys.prefix},
    )
    return auto.Stack.create_or_select(stack_name, workspace)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument("--dir", type=Path, default=Path.cwd(), help="the project directory")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--cli", help="directory holding bin/pulumi (default: pulumi on PATH)")
    parser.add_argument("--diff", action="store_true", help="show property-level diffs")
    args = parser.parse_args(argv)

    project = args.dir.resolve()
    if not (project / "Pulumi.yaml").is_file():
        parser.error(f"{project} holds no Pulumi.yaml")
    try:
        stack = _stack(project, args.stack, args.cli)
        if args.operation == "preview":
            stack.preview(diff=args.diff, on_output=print, color="never")
        elif args.operation == "up":
            stack.up(diff=args.diff, on_output=print, color="never")
        elif args.operation == "refresh":
            stack.refresh(on_output=print, color="never")
        else:
            stack.destroy(on_output=print, color="never")
    except auto.CommandError as error:
        # The CLI's stdout was streamed already; its stderr is the last part of the message.
        print(str(error).rpartition("\n stderr: ")[2].strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
