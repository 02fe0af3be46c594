-- Web: local accounts, sessions, review labels, audit trail and site settings (docs/web.md).
CREATE TABLE users (
    username      VARCHAR PRIMARY KEY,
    password_hash VARCHAR NOT NULL,     -- scrypt$n$r$p$salt_hex$hash_hex
    role          VARCHAR NOT NULL,     -- viewer | analyst | admin
    disabled      BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMP DEFAULT current_timestamp
);

-- A login: the cookie / bearer token is stored only as its SHA-256 hash.
CREATE TABLE sessions (
    token_hash VARCHAR PRIMARY KEY,
    username   VARCHAR NOT NULL,
    created_at TIMESTAMP DEFAULT current_timestamp,
    expires_at TIMESTAMP NOT NULL
);

-- An analyst's verdict on a classified document, kept as a label for retraining.
CREATE SEQUENCE review_seq START 1;
CREATE TABLE reviews (
    review_id INTEGER PRIMARY KEY DEFAULT nextval('review_seq'),
    doc_id    VARCHAR NOT NULL,
    username  VARCHAR NOT NULL,
    verdict   VARCHAR NOT NULL,         -- agree | disagree | change_tier
    tier      INTEGER,                  -- the tier the reviewer settles on
    "at"      TIMESTAMP DEFAULT current_timestamp
);

CREATE SEQUENCE audit_seq START 1;
CREATE TABLE audit_log (
    audit_id INTEGER PRIMARY KEY DEFAULT nextval('audit_seq'),
    who      VARCHAR NOT NULL,
    "at"     TIMESTAMP DEFAULT current_timestamp,
    action   VARCHAR NOT NULL,          -- e.g. review.create, incident.update, user.add
    object   VARCHAR,                   -- the id of what was changed
    detail   VARCHAR                    -- JSON of the change
);

-- Site settings as text; anonymous_read = 'true' lets visitors read without logging in.
CREATE TABLE settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
INSERT INTO settings VALUES ('anonymous_read', 'false');
