"""Missions in every shipped language: a translations column, and the seeded missions in
Ukrainian.

Revision ID: 0018
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The missions 0005 seeded, by their English title.
UKRAINIAN = {
    "Morning stretch": ("Ранкова розтяжка", "Потягніться п'ять хвилин перед сніданком."),
    "Glass of water": ("Склянка води", "Випийте повну склянку води просто зараз."),
    "Ten-minute walk": (
        "Десятихвилинна прогулянка",
        "Прогуляйтеся десять хвилин надворі, телефон — у кишені.",
    ),
    "Read a chapter": (
        "Прочитайте розділ",
        "Прочитайте один розділ книжки, яку давно хотіли дочитати.",
    ),
    "New word": ("Нове слово", "Вивчіть нове слово й ужийте його в реченні сьогодні."),
    "Tidy one drawer": ("Одна шухляда", "Розберіть і наведіть лад в одній шухляді чи полиці."),
    "Call a friend": (
        "Зателефонуйте другові",
        "Зателефонуйте чи напишіть другові, з яким давно не спілкувалися.",
    ),
    "Say thank you": ("Подякуйте", "Подякуйте комусь за щось конкретне, що він зробив."),
    "Three good things": (
        "Три добрі речі",
        "Запишіть три добрі речі, що сталися сьогодні.",
    ),
    "Screen-free hour": ("Година без екранів", "Проведіть одну годину без жодного екрана."),
    "Cook something new": (
        "Приготуйте щось нове",
        "Приготуйте страву чи перекус, яких ви ще ніколи не готували.",
    ),
    "Plan tomorrow": ("План на завтра", "Запишіть три найважливіші справи на завтра."),
}


def upgrade() -> None:
    with op.batch_alter_table("missions") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))
    missions = sa.table(
        "missions",
        sa.column("id", sa.Integer()),
        sa.column("title", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("translations", sa.JSON()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(missions.c.id, missions.c.title, missions.c.kind)).all()
    for mission_id, title, kind in rows:
        if kind == "custom" or title not in UKRAINIAN:
            continue
        uk_title, uk_description = UKRAINIAN[title]
        texts = {"uk": {"title": uk_title, "description": uk_description}}
        bind.execute(
            missions.update().where(missions.c.id == mission_id).values(translations=texts)
        )


def downgrade() -> None:
    with op.batch_alter_table("missions") as batch:
        batch.drop_column("translations")
