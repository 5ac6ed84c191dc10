"""Where the suite's own files are: the features, the contract, the report's Node side, behave's settings.

In a checkout they are the repository's. Installed (pip install, pipx), the wheel carries copies of them under
<prefix>/share/chat-acceptance (pyproject.toml, [tool.setuptools.data-files]), laid out as in the repository.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
_INSTALLED = "share/chat-acceptance"


def suite_files() -> Path:
    """The directory holding features/, contract/, reporting/ and pyproject.toml."""
    if (_CHECKOUT / "features" / "environment.py").is_file():
        return _CHECKOUT
    for prefix in (sys.prefix, sysconfig.get_path("data"), sysconfig.get_path("data", f"{os.name}_user")):
        candidate = Path(prefix) / _INSTALLED
        if (candidate / "features" / "environment.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"the suite's files are neither in a checkout ({_CHECKOUT}) nor in {sys.prefix}/{_INSTALLED}"
    )


SUITE_FILES = suite_files()
