-- Meetings by the account that scheduled them (the creation quota counts them).
CREATE INDEX meetings_created_by ON meetings (created_by, created_at);
