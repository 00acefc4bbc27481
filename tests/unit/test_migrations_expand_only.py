"""Migrations are expand-then-contract (docs/upgrades.md): while a new version migrates, and
until every replica runs it, the old code works on the migrated database. So a migration's
``upgrade`` only adds: no table or column dropped or renamed, no column made NOT NULL (or
added NOT NULL) without a server default, no column's type changed in place. A contract
step (removing what no running version reads any more) is reviewed by hand and listed in
:data:`REVIEWED` with the reason it is safe.

The check reads the scripts (no import) and skips their ``downgrade``, which undoes an
expand step by dropping what it added."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.core.kernel.migrate import VERSIONS

# (script file name, what the check reports) -> why it is a safe contract step. None yet:
# every migration so far only adds tables, nullable columns, columns with a server
# default, indexes, and rows.
REVIEWED: dict[tuple[str, str], str] = {}

DROPS = {"drop_table": "drops a table", "drop_column": "drops a column"}
SQL = re.compile(
    r"\b(DROP\s+TABLE|DROP\s+COLUMN|RENAME\s+(TO|COLUMN)|SET\s+NOT\s+NULL|ALTER\s+COLUMN\s+\w+\s+TYPE)\b",
    re.IGNORECASE,
)


def contract_steps(source: str) -> list[str]:
    """What a migration's source does that old code may not survive, one line each
    (``line N: ...``); ``downgrade`` is not read."""
    tree = ast.parse(source)
    undo = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "downgrade"]
    skipped = {id(node) for function in undo for node in ast.walk(function)}
    found: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        for problem in _problems(node):
            found.append(f"line {getattr(node, 'lineno', 0)}: {problem}")
    return found


def _problems(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        match = SQL.search(node.value)
        return [f"SQL {match.group(0).upper()!r}"] if match else []
    if not isinstance(node, ast.Call):
        return []
    name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    if name in DROPS:
        return [DROPS[name]]
    if name == "rename_table":
        return ["renames a table"]
    if name == "alter_column":
        found = ["renames a column"] if "new_column_name" in keywords else []
        if _false(keywords.get("nullable")) and "server_default" not in keywords:
            found.append("makes a column NOT NULL without a server default")
        if "type_" in keywords:
            found.append("changes a column's type")
        return found
    if name == "add_column":
        columns = (a for a in node.args if isinstance(a, ast.Call))
        return [
            "adds a NOT NULL column without a server default"
            for column in columns
            if _false({k.arg: k.value for k in column.keywords if k.arg}.get("nullable"))
            and not any(k.arg == "server_default" for k in column.keywords)
        ]
    return []


def _false(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Constant) and value.value is False


def _scripts() -> list[Path]:
    return sorted(VERSIONS.glob("*.py"))


@pytest.mark.parametrize("script", _scripts(), ids=lambda path: path.stem)
def test_migration_only_expands(script: Path) -> None:
    """Every step of the script's upgrade that old code may not survive is a reviewed
    contract step."""
    steps = contract_steps(script.read_text(encoding="utf-8"))
    unreviewed = [s for s in steps if (script.name, s.split(": ", 1)[1]) not in REVIEWED]
    assert not unreviewed, (
        f"{script.name} is not expand-only: {unreviewed}. Add, don't change: a nullable "
        "column or one with a server default, a new table; drop or rename only in a later "
        "version, once no running version reads it, and list that step in REVIEWED with "
        "the reason (docs/upgrades.md)"
    )


def test_every_reviewed_step_is_still_there() -> None:
    """An entry of REVIEWED names a step a script still takes (no stale exception that
    would let a later one through)."""
    taken = {
        (path.name, step.split(": ", 1)[1])
        for path in _scripts()
        for step in contract_steps(path.read_text(encoding="utf-8"))
    }
    assert set(REVIEWED) <= taken


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('op.drop_table("users")', "drops a table"),
        ('op.drop_column("users", "language")', "drops a column"),
        (
            'with op.batch_alter_table("users") as batch:\n        batch.drop_column("x")',
            "drops a column",
        ),
        ('op.rename_table("users", "people")', "renames a table"),
        ('op.alter_column("users", "language", new_column_name="lang")', "renames a column"),
        (
            'op.alter_column("users", "language", nullable=False)',
            "makes a column NOT NULL without a server default",
        ),
        ('op.alter_column("users", "language", type_=sa.String(8))', "changes a column's type"),
        (
            'op.add_column("users", sa.Column("x", sa.Integer(), nullable=False))',
            "adds a NOT NULL column without a server default",
        ),
        ('op.execute("ALTER TABLE users DROP COLUMN language")', "SQL 'DROP COLUMN'"),
        ('op.execute("ALTER TABLE users RENAME TO people")', "SQL 'RENAME TO'"),
        (
            'op.execute("ALTER TABLE users ALTER COLUMN language SET NOT NULL")',
            "SQL 'SET NOT NULL'",
        ),
    ],
)
def test_the_check_sees_a_contract_step(body: str, expected: str) -> None:
    source = f"def upgrade() -> None:\n    {body}\n"
    assert [s.split(": ", 1)[1] for s in contract_steps(source)] == [expected]


def test_the_check_lets_expand_steps_and_downgrades_through() -> None:
    """Additions pass; a downgrade that drops what its upgrade added is not read."""
    source = """
def upgrade() -> None:
    op.add_column("users", sa.Column("a", sa.String(8), nullable=True))
    op.add_column("users", sa.Column("b", sa.Integer(), nullable=False, server_default="0"))
    op.alter_column("users", "c", nullable=False, server_default="")
    op.create_table("t", sa.Column("id", sa.Integer(), nullable=False))
    op.execute("UPDATE users SET a = 'x'")


def downgrade() -> None:
    op.drop_table("t")
    op.drop_column("users", "b")
"""
    assert contract_steps(source) == []
