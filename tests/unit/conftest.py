"""Shared pytest set-up for the unit tests: import path and a fake root."""

import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


@pytest.fixture
def ganeti_root(tmp_path):
    """Relocate every Ganeti state/config path below a temporary root."""
    from ganeti import pathutils
    old = pathutils.get_root()
    pathutils.set_root(str(tmp_path))
    try:
        yield str(tmp_path)
    finally:
        pathutils.set_root(old)
