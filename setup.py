"""Only for the wheel: compile the gettext catalogs (.po -> .mo) into the build.

Everything else is in pyproject.toml. An editable install reads the source
tree, where `make` compiles them (tools/rdm/i18n/README.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # the source tree is used as it is
            return
        sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
        from rdm.i18n import catalogs

        catalogs.compile_all(out=Path(self.build_lib) / "rdm" / "i18n" / "locale")


setup(cmdclass={"build_py": BuildWithCatalogs})
