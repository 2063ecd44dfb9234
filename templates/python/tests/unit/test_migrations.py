"""The migration files themselves, without a database."""
import pytest

from migrate import MigrationError, discover


def test_the_migrations_are_numbered_from_0001_without_gaps():
    versions = [m.version for m in discover()]
    assert versions == list(range(1, len(versions) + 1))


def test_a_badly_named_file_is_refused(tmp_path):
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "2_second.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_words.sql"):
        discover(tmp_path)


def test_two_files_with_one_version_are_refused(tmp_path):
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0001_again.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="version 0001"):
        discover(tmp_path)
