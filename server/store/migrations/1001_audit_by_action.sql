-- The referral queue polls for changes: the newest audit entry of each
-- action that changes the queue, found through this index without a scan.
CREATE INDEX audit_log_by_action ON audit_log(action, seq);
