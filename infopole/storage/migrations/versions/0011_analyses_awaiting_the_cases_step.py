"""analyses awaiting the cases step

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 07:40:00.000000

``analyses.cases_taken``: the cases step has read this analysis (cleared when the analysis is
rewritten), so each run reads only what is new. Existing analyses start as not taken: the first run
after the upgrade reads them once more, which is harmless (taking a post is idempotent).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cases_taken', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_analyses_cases_taken'), ['cases_taken'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analyses_cases_taken'))
        batch_op.drop_column('cases_taken')
