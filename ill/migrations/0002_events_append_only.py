"""The event log is append-only: the database refuses to change or delete an event."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION ill_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ILL events are append-only (% refused on event %)', TG_OP, OLD.id;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ill_event_append_only
    BEFORE UPDATE OR DELETE ON ill_illevent
    FOR EACH ROW EXECUTE FUNCTION ill_event_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS ill_event_append_only ON ill_illevent;
DROP FUNCTION IF EXISTS ill_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("ill", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
