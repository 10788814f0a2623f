"""core/ is the engine: it must import without the console's libraries."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORBIDDEN = {"textual", "rich"}


def test_no_module_in_core_imports_textual_or_rich():
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert offenders == []
    assert len(list((ROOT / "core").rglob("*.py"))) > 10  # the walk really saw the engine


def test_core_imports_with_textual_and_rich_blocked():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('textual', 'rich'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import core.storage.engine, core.recovery.redo_apply, core.codec, core.events.wording\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_storage_loads_without_transactions_or_recovery():
    """Storage sits below both: importing it must not drag them in (they compose in core.kv)."""
    code = (
        "import sys\n"
        "import core.storage.engine\n"
        "above = sorted(m for m in sys.modules\n"
        "               if m.split('.')[:2] in (['core', 'txn'], ['core', 'recovery'],\n"
        "                                       ['core', 'kv'], ['core', 'sql']))\n"
        "print(above)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr
