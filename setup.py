"""The build is pyproject.toml's; this adds one file to the wheel: ``pulumi_flowroute-dynamic.pth``.

``pulumi import`` of a dynamic resource reaches Pulumi's dynamic provider server (``python -m
pulumi.dynamic``) before any of this library's code is loaded there, and the SDK fails with a
``KeyError: '__provider'`` traceback (pulumi/pulumi#16175). Python runs an ``import`` line of a
``.pth`` file in site-packages at start-up: in that server process only (its command line names
``pulumi.dynamic``), this one has the library report its errors plainly first, so that import
ends in one line saying what to do instead (``pulumi_flowroute.imports``). Any other process
pays one membership test; a failure to load is ignored, leaving the SDK as it was.

An editable install (``pip install -e``) gets no ``.pth`` of ours: there the import keeps the
SDK's traceback.
"""

from __future__ import annotations

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "pulumi_flowroute-dynamic.pth"
LINE = (
    "import sys; exec(\"if 'pulumi.dynamic' in getattr(sys, 'orig_argv', ()):\\n"
    " try:\\n"
    "  from pulumi_flowroute.provider_base import report_errors_plainly\\n"
    "  report_errors_plainly()\\n"
    ' except Exception:\\n  pass")\n'
)


class BuildWithPth(build_py):
    """``build_py`` that also writes the ``.pth`` at the top of the wheel."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            with open(os.path.join(self.build_lib, PTH), "w") as handle:
                handle.write(LINE)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        return outputs if self.editable_mode else [*outputs, os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": BuildWithPth})
