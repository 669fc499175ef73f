-- Capital ledger per profile (reference 002, phase 3). Every ledger operation is one event;
-- `rebuild` folds a profile's events in `sequence` order. Events are append-only, like
-- execution_logs. `event_id` is the operation's idempotency id: unique per profile.
-- No CHECK enforces `available >= 0`: facts from the exchange are always recorded, and a
-- broken invariant is reported by the ledger, never silently clamped or refused here.

CREATE TABLE capital_ledger_events (
    profile_id text NOT NULL,
    event_id text NOT NULL,
    sequence bigint NOT NULL,
    kind text NOT NULL,
    order_id text,
    trade_id text,
    symbol text,
    side text,
    amount numeric,
    quantity numeric,
    price numeric,
    fee numeric,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT capital_ledger_events_pkey PRIMARY KEY (profile_id, sequence),
    CONSTRAINT capital_ledger_events_profile_id_event_id_key UNIQUE (profile_id, event_id),
    CONSTRAINT chk_capital_ledger_events_sequence_positive CHECK (sequence >= 1),
    CONSTRAINT chk_capital_ledger_events_event_id_not_blank CHECK (btrim(event_id) <> ''),
    CONSTRAINT chk_capital_ledger_events_kind_not_blank CHECK (btrim(kind) <> '')
);

CREATE TRIGGER capital_ledger_events_immutable
    BEFORE UPDATE OR DELETE ON capital_ledger_events
    FOR EACH ROW EXECUTE FUNCTION trade_lifecycle_reject_append_only_change();

CREATE TRIGGER capital_ledger_events_immutable_truncate
    BEFORE TRUNCATE ON capital_ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION trade_lifecycle_reject_append_only_change();

-- The balances after the event numbered `last_sequence`: a cache of the fold of the events,
-- written in the same transaction as the event.
CREATE TABLE capital_ledger_balances (
    profile_id text PRIMARY KEY,
    allocated numeric NOT NULL DEFAULT 0,
    reserved_for_orders numeric NOT NULL DEFAULT 0,
    reserved_for_positions numeric NOT NULL DEFAULT 0,
    realized_pnl numeric NOT NULL DEFAULT 0,
    last_sequence bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT chk_capital_ledger_balances_last_sequence CHECK (last_sequence >= 0)
);
