"""What travels to the centre: every table decided, personal data never published."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from queue_server.centre import travel
from queue_server.centre.replication import publication_sql
from queue_server.store.tables import metadata

# Columns that name, identify or reach a person: none may be published.
PERSONAL = {("tickets", "id_hash"), ("tickets", "id_masked"), ("tickets", "name_masked"),
            ("windows", "staff_name"), ("staff", "name"), ("units", "location"),
            ("units", "encumbrances"), ("callback_calls", "phone_masked"),
            ("archive_audit", "subject_hash"), ("archive_audit", "subject_masked"),
            ("evaluations", "comment"), ("events", "data")}
KEPT = {"tokens", "id_cards", "case_applicants", "unit_holders", "notify_outbox",
        "ticket_watch"}


def test_personal_columns_and_tables_are_left_behind() -> None:
    published = {t.name: set(travel.travelling_columns(t)) for t in travel.published_tables()}
    for table, column in PERSONAL:
        assert column not in published[table], f"{table}.{column} would travel"
    assert not KEPT & set(published)
    sql = publication_sql("HY01")
    assert "truncate" not in sql.split("WITH")[-1]
    assert "WHERE (hall = 'HY01')" in sql
    assert '"id_hash"' not in sql.split("tickets (")[1].split(")")[0]


def test_a_new_table_without_a_decision_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = MetaData()
    for t in metadata.sorted_tables:
        t.to_metadata(extra)
    Table("sneaky", extra, Column("hall", String(8)), Column("phone", String(20)),
          Column("n", Integer))
    monkeypatch.setattr(travel, "metadata", extra)
    with pytest.raises(travel.Undecided, match="sneaky"):
        travel.published_tables()
