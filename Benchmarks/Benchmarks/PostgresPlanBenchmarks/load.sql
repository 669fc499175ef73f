-- The data of the PostgreSQL backfill plan benchmark: one profile, {{OPEN}} open lifecycles of
-- three orders and {{CLOSED}} closed lifecycles of two (1,000,000 orders in both shapes the
-- benchmark uses), and an exchange snapshot of {{FILLS}} fills in bench_fills ({{EXTRA}} of them
-- already recorded on EXIT orders and {{EXTRA}} older than the lookback). The heavy shape is
-- that of Benchmarks/BackfillBenchmarks. Loaded with INSERT ... SELECT generate_series on a
-- database migrated to the SDK's schema, after the placeholders in double braces are replaced;
-- every statement ends with a semicolon at the end of a line (the loader splits there).
-- now = 2026-02-15T12:00:00Z; 50 symbols; one in ten open lifecycles short.

DELETE FROM orders WHERE profile_id = 'bench-profile';
DELETE FROM trade_profiles WHERE profile_id = 'bench-profile';
DROP TABLE IF EXISTS bench_fills;
INSERT INTO trade_profiles (profile_id, paused, updated_at) VALUES ('bench-profile', true, '2026-02-15T00:00:00Z');

CREATE TEMPORARY TABLE bench_open AS
SELECT i,
       'SYM' || (i % 50) AS symbol,
       CASE WHEN i % 10 = 0 THEN 'short' ELSE 'long' END AS side,
       'TRD-' || md5('bench-profile:SYM' || (i % 50) || ':open-' || i) AS trade_id,
       timestamptz '2026-02-15T12:00:00Z' - interval '60 hours' + i * interval '2 seconds' AS entry_at,
       1 + i % 7 AS first_quarters,
       CASE WHEN i % 100 = 1 THEN 'open' WHEN i % 10 IN (3, 6, 9) THEN 'canceled' ELSE 'filled' END AS exit_status
FROM generate_series(0, {{OPEN}} - 1) AS i;

INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, filled_quantity, price,
                    exchange_order_id, client_order_id, filled_at, created_at)
SELECT 'o-' || i || '-e1', 'bench-profile', symbol, trade_id, 'ENTRY', side, 'filled', first_quarters * 0.25,
       first_quarters * 0.25, 100, 'ex-' || i || '-1', NULL, entry_at, entry_at
FROM bench_open
UNION ALL
SELECT 'o-' || i || '-e2', 'bench-profile', symbol, trade_id, 'ENTRY', side, 'filled', 0.5, 0.5, 100,
       'ex-' || i || '-2', NULL, entry_at + interval '1 second', entry_at
FROM bench_open
UNION ALL
SELECT 'o-' || i || '-x', 'bench-profile', symbol, trade_id, 'EXIT', side, exit_status, 0.25,
       CASE WHEN exit_status = 'filled' THEN 0.25 ELSE 0 END, 100,
       CASE WHEN exit_status = 'filled' THEN 'rx-' || i END,
       'EXT-' || md5('bench-profile:' || trade_id || ':EXIT:0'),
       CASE WHEN exit_status = 'filled' THEN entry_at + interval '60 seconds' END, entry_at
FROM bench_open;

INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, filled_quantity, price,
                    exchange_order_id, client_order_id, filled_at, created_at)
SELECT 'c-' || j || suffix, 'bench-profile', 'SYM' || (j % 50),
       'TRD-' || md5('bench-profile:SYM' || (j % 50) || ':closed-' || j), action, 'long', 'filled', 1, 1, 100,
       CASE WHEN action = 'ENTRY' THEN 'cex-' ELSE 'cx-' END || j, NULL,
       timestamptz '2026-02-15T12:00:00Z' - interval '100 hours' + j * interval '0.5 seconds'
           + CASE WHEN action = 'EXIT' THEN interval '1 hour' ELSE interval '0' END,
       timestamptz '2026-02-15T12:00:00Z' - interval '100 hours' + j * interval '0.5 seconds'
FROM generate_series(0, {{CLOSED}} - 1) AS j, (VALUES ('-e', 'ENTRY'), ('-x', 'EXIT')) AS kind (suffix, action);

CREATE TABLE bench_fills (
    position serial PRIMARY KEY,
    symbol text NOT NULL,
    side text NOT NULL,
    exchange_order_id text NOT NULL,
    client_order_id text,
    quantity numeric NOT NULL,
    filled_at timestamptz NOT NULL
);

-- Tagged fills: the exchange's record of the cancelled ghost EXITs, by their client order id.
INSERT INTO bench_fills (symbol, side, exchange_order_id, client_order_id, quantity, filled_at)
SELECT symbol, CASE WHEN side = 'long' THEN 'sell' ELSE 'buy' END, 'tx-' || i,
       'EXT-' || md5('bench-profile:' || trade_id || ':EXIT:0'), 0.25, entry_at + interval '1 hour'
FROM bench_open WHERE exit_status = 'canceled';

-- Untagged evidence of most of the open quantity; every other lifecycle in two fills, every
-- other one carrying an unrelated client order id (the containment search).
CREATE TEMPORARY TABLE bench_untagged AS
SELECT i, symbol, CASE WHEN side = 'long' THEN 'sell' ELSE 'buy' END AS closing, trade_id, entry_at + interval '1 hour' AS fill_at,
       GREATEST(1, first_quarters + 2 - CASE WHEN exit_status = 'filled' THEN 1 ELSE 0 END
                   - CASE WHEN exit_status = 'canceled' THEN 1 ELSE 0 END - (i / 2) % 2) AS quarters
FROM bench_open;

INSERT INTO bench_fills (symbol, side, exchange_order_id, client_order_id, quantity, filled_at)
SELECT symbol, closing, 'ux-' || i || '-a', NULL, 0.25, fill_at FROM bench_untagged WHERE i % 2 = 1 AND quarters > 1
UNION ALL
SELECT symbol, closing, 'ux-' || i || '-b', NULL, (quarters - 1) * 0.25, fill_at + interval '1 millisecond'
FROM bench_untagged WHERE i % 2 = 1 AND quarters > 1
UNION ALL
SELECT symbol, closing, 'ux-' || i, CASE WHEN i % 2 = 0 THEN 'EXT-' || md5('bench-profile:' || trade_id || ':EXIT:99') END,
       quarters * 0.25, fill_at
FROM bench_untagged WHERE NOT (i % 2 = 1 AND quarters > 1);

-- Fills that are not evidence: already recorded on EXIT orders, or older than the lookback.
INSERT INTO bench_fills (symbol, side, exchange_order_id, client_order_id, quantity, filled_at)
SELECT 'SYM' || (k % 50), 'sell', 'cx-' || (k * 35), NULL, 1, timestamptz '2026-02-15T10:00:00Z'
FROM generate_series(0, {{EXTRA}} - 1) AS k
UNION ALL
SELECT 'SYM' || (k % 50), 'sell', 'old-' || k, NULL, 1, timestamptz '2026-02-12T04:00:00Z'
FROM generate_series(0, {{EXTRA}} - 1) AS k;

-- Padding to {{FILLS}} fills: more untagged evidence of the first lifecycles.
INSERT INTO bench_fills (symbol, side, exchange_order_id, client_order_id, quantity, filled_at)
SELECT 'SYM' || ((p % {{OPEN}}) % 50), CASE WHEN (p % {{OPEN}}) % 10 = 0 THEN 'buy' ELSE 'sell' END, 'px-' || p, NULL, 0.25,
       timestamptz '2026-02-15T11:00:00Z'
FROM generate_series(0, {{FILLS}} - 1 - (SELECT count(*) FROM bench_fills)) AS p;

ANALYZE orders;
ANALYZE bench_fills;
