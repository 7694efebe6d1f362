-- Login attempt counters ($wgPasswordAttemptThrottle), in the database so that every replica
-- counts the same attempts. `key` names the throttle type, condition, address and user.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    expires BIGINT NOT NULL
);
CREATE INDEX login_throttle_expires ON login_throttle (expires);
