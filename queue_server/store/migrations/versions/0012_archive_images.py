"""档案原貌 / 房屋现貌: the scanned pages of a unit's register originals and its photo
(`unit_images`, JPEG as hallq re-encoded them, with content hashes), and which image an
archive audit entry showed (`archive_audit.image`).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_images",
        sa.Column("hall", sa.String(8), nullable=False),
        sa.Column("unit_no", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("page", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(16), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hall", "unit_no", "kind", "page", name="pk_unit_images"),
        sa.ForeignKeyConstraint(["hall", "unit_no"], ["units.hall", "units.unit_no"],
                                name="fk_unit_images_unit"),
    )
    # Adding a nullable column rewrites nothing, so the append-only triggers stay.
    op.add_column("archive_audit", sa.Column("image", sa.String(24)))


def downgrade() -> None:
    op.drop_column("archive_audit", "image")
    op.drop_table("unit_images")
