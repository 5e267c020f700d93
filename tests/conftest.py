from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"
TRACKERS = sorted(
    p for p in CORPUS.glob("*.md") if "blocker" not in p.name and p.name != "README.md"
)


@pytest.fixture
def corpus() -> Path:
    return CORPUS


def corpus_tracker(name: str) -> Path:
    """The corpus tracker whose file name contains ``name``."""
    (match,) = [path for path in TRACKERS if name in path.name]
    return match
