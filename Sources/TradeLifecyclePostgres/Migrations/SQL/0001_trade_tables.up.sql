-- Trade records: profiles, orders, trade history, fills, and the EXIT backfill audit.
-- Column names are the reference runbooks' so their SQL runs unchanged against this schema.
-- Quantities and prices are numeric (exact); times are timestamptz.

CREATE TABLE trade_profiles (
    profile_id text PRIMARY KEY,
    paused boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Order status text the SDK writes: pending, open, partially_filled, filled, canceled,
-- rejected, expired. Legacy rows may hold other spellings ('partially-filled', 'cancelled'),
-- which readers normalize; there is deliberately no CHECK on status for that reason.
-- `qty` is the legacy quantity column; new rows write `quantity`.
CREATE TABLE orders (
    order_id text PRIMARY KEY,
    profile_id text NOT NULL,
    symbol text NOT NULL,
    trade_id text,
    action text,
    side text,
    status text NOT NULL,
    quantity numeric,
    qty numeric,
    filled_quantity numeric NOT NULL DEFAULT 0,
    price numeric,
    exchange_order_id text,
    client_order_id text,
    filled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Lets tables that belong to an order reference it together with its profile, so a row
    -- can never point at another tenant's order.
    CONSTRAINT orders_profile_id_order_id_key UNIQUE (profile_id, order_id)
);

CREATE TABLE trade_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    profile_id text NOT NULL,
    symbol text NOT NULL,
    trade_id text,
    side text,
    quantity numeric,
    entry_price numeric,
    exit_price numeric,
    realized_pnl numeric,
    opened_at timestamptz,
    closed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Individual fill events of an order (partial executions included).
CREATE TABLE fills (
    fill_id text PRIMARY KEY,
    profile_id text NOT NULL,
    order_id text NOT NULL,
    symbol text NOT NULL,
    side text NOT NULL,
    quantity numeric NOT NULL,
    price numeric NOT NULL,
    fee numeric,
    exchange_order_id text,
    client_order_id text,
    filled_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fills_order_fkey FOREIGN KEY (profile_id, order_id)
        REFERENCES orders (profile_id, order_id),
    CONSTRAINT chk_fills_side CHECK (side IN ('buy', 'sell')),
    CONSTRAINT chk_fills_quantity_positive CHECK (quantity > 0),
    CONSTRAINT chk_fills_price_positive CHECK (price > 0),
    CONSTRAINT chk_fills_fee_not_negative CHECK (fee >= 0)
);

-- One row per planned backfill row, NO_GO included (reference runbook section 6).
CREATE TABLE reconciliation_backfill_audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id text NOT NULL,
    profile_id text NOT NULL,
    symbol text NOT NULL,
    trade_id text NOT NULL,
    decision text NOT NULL,
    reason text NOT NULL,
    open_qty numeric,
    filled_qty numeric,
    price numeric,
    backfill_order_id text,
    exchange_order_id text,
    exchange_client_order_id text,
    filled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    reverted_at timestamptz,
    CONSTRAINT chk_reconciliation_backfill_audit_decision CHECK (
        decision IN ('DRY_RUN', 'PENDING_APPLY', 'APPLIED', 'SKIP_EXISTING', 'NO_GO')
    ),
    CONSTRAINT chk_reconciliation_backfill_audit_reason CHECK (
        reason IN (
            'fill_evidence',
            'dust_remainder',
            'missing_fill_evidence_for_large_remainder',
            'profile_not_paused',
            'exchange_not_flat',
            'pending_lifecycle_blocker'
        )
    ),
    -- A NO_GO row has no backfill order id; every other row has its deterministic BFILL id.
    CONSTRAINT chk_reconciliation_backfill_audit_backfill_order_id CHECK (
        (decision = 'NO_GO' AND backfill_order_id IS NULL)
        OR (
            decision <> 'NO_GO'
            AND backfill_order_id IS NOT NULL
            AND backfill_order_id LIKE 'BFILL-%'
        )
    )
);
