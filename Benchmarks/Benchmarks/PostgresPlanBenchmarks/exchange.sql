-- The exchange snapshot file of the benchmark (`trade-lifecycle backfill plan --exchange`):
-- flat positions in the 50 symbols and the 200,000 fills of bench_fills, as JSON.
SELECT json_build_object(
  'positions', (SELECT json_agg(json_build_object('profileId', 'bench-profile', 'symbol', 'SYM' || s, 'quantity', '0') ORDER BY s)
                FROM generate_series(0, 49) AS s),
  'fills', (SELECT json_agg(json_build_object(
                'profileId', 'bench-profile', 'symbol', symbol, 'side', side, 'exchangeOrderId', exchange_order_id,
                'clientOrderId', client_order_id, 'quantity', quantity::text, 'price', '100',
                'filledAt', to_char(filled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')) ORDER BY position)
            FROM bench_fills),
  'openOrders', json_build_array());
