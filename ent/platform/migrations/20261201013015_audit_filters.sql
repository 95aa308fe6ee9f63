-- Create index "auditevent_actor_email_id" to table: "audit_events"
CREATE INDEX "auditevent_actor_email_id" ON "audit_events" ("actor_email", "id");
-- Create index "auditevent_vendor_id_id" to table: "audit_events"
CREATE INDEX "auditevent_vendor_id_id" ON "audit_events" ("vendor_id", "id");
