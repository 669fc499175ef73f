-- Distributed safety (reference 002, phase 6; reference 004): entry locks per
-- (profile_id, symbol), reconciliation locks per profile, and event deduplication.
--
-- Every lock acquisition takes `nextval` of the lock's fencing sequence. The sequences never
-- cycle, so a fencing token is strictly greater than every token handed out before it; on
-- exhaustion nextval fails rather than wrapping.

CREATE SEQUENCE entry_locks_fencing_token_seq AS bigint
    START WITH 1 INCREMENT BY 1 MINVALUE 1 NO MAXVALUE NO CYCLE;

CREATE TABLE entry_locks (
    profile_id text NOT NULL,
    symbol text NOT NULL,
    owner_token text NOT NULL,
    fencing_token bigint NOT NULL DEFAULT nextval('entry_locks_fencing_token_seq'),
    acquired_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT entry_locks_pkey PRIMARY KEY (profile_id, symbol),
    CONSTRAINT chk_entry_locks_owner_token_not_blank CHECK (btrim(owner_token) <> ''),
    CONSTRAINT chk_entry_locks_expires_after_acquired CHECK (expires_at > acquired_at)
);

ALTER SEQUENCE entry_locks_fencing_token_seq OWNED BY entry_locks.fencing_token;

CREATE SEQUENCE reconciliation_locks_fencing_token_seq AS bigint
    START WITH 1 INCREMENT BY 1 MINVALUE 1 NO MAXVALUE NO CYCLE;

CREATE TABLE reconciliation_locks (
    profile_id text PRIMARY KEY,
    owner_token text NOT NULL,
    fencing_token bigint NOT NULL DEFAULT nextval('reconciliation_locks_fencing_token_seq'),
    acquired_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT chk_reconciliation_locks_owner_token_not_blank CHECK (btrim(owner_token) <> ''),
    CONSTRAINT chk_reconciliation_locks_expires_after_acquired CHECK (expires_at > acquired_at)
);

ALTER SEQUENCE reconciliation_locks_fencing_token_seq OWNED BY reconciliation_locks.fencing_token;

-- recordIfNew(source, eventID) is an INSERT ... ON CONFLICT DO NOTHING on this key.
-- Not profile-scoped: a source that serves several tenants should name the profile in `source`.
CREATE TABLE event_dedupe (
    source text NOT NULL,
    event_id text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_dedupe_pkey PRIMARY KEY (source, event_id)
);
