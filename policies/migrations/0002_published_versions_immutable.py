"""Published policy versions are immutable, enforced by the database as well as the service."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION policies_version_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' THEN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'published policy version % cannot be deleted', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.body_markdown IS DISTINCT FROM OLD.body_markdown
           OR NEW.number IS DISTINCT FROM OLD.number
           OR NEW.status IS DISTINCT FROM OLD.status
           OR NEW.effective_from IS DISTINCT FROM OLD.effective_from
           OR NEW.policy_id IS DISTINCT FROM OLD.policy_id
           OR NEW.published_at IS DISTINCT FROM OLD.published_at THEN
            RAISE EXCEPTION 'published policy version % is immutable', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER policies_version_immutable
    BEFORE UPDATE OR DELETE ON policies_policyversion
    FOR EACH ROW EXECUTE FUNCTION policies_version_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS policies_version_immutable ON policies_policyversion;
DROP FUNCTION IF EXISTS policies_version_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
