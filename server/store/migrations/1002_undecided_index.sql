-- The referral queue lists undecided REFER and ALERT cases oldest first:
-- this partial index holds just those, so the queue does not walk past
-- every decided case to find them.
CREATE INDEX movements_undecided_referred ON movements(at, verification_id)
	WHERE decision IS NULL AND recommendation IN ('REFER', 'ALERT');
