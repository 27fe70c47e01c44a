"""shared token rate slots and method parks

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 07:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import infopole.storage.tables


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('token_parks',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=100), nullable=False),
    sa.Column('parked_until', infopole.storage.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('code', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', 'method', name=op.f('pk_token_parks'))
    )
    op.create_table('token_slots',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('next_slot', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_token_slots'))
    )


def downgrade() -> None:
    op.drop_table('token_slots')
    op.drop_table('token_parks')
