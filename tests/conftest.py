import os

import pytest

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "db")


@pytest.fixture
def engine(db_path):
    """An engine with no flusher thread: tests decide when to flush."""
    from core.kv import Engine

    eng = Engine.open(db_path, create=True, flush_interval=0)
    yield eng
    eng.close()
