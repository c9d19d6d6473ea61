-- Idempotency-Key on POST: one row per (tenant, key). A request claims its key by inserting the
-- row first: the primary key lets exactly one request on any replica own it, without session
-- state or advisory locks (PgBouncer runs in transaction pooling). While response_status is
-- NULL the request is in flight (a retry gets 409); then the response is kept for replays until
-- expires_at. claim_id names the owner, so a request whose claim was taken over (a crashed
-- replica's, after the lease) cannot overwrite the new owner's row. A new, empty table: plain
-- CREATE INDEX is fine in this transaction.
CREATE TABLE idempotency_keys (
  tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  idempotency_key   text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  request_hash      bytea NOT NULL CHECK (octet_length(request_hash) = 32),
  claim_id          uuid NOT NULL,
  response_status   smallint CHECK (response_status BETWEEN 100 AND 599),
  response_headers  jsonb CHECK (response_headers IS NULL OR jsonb_typeof(response_headers) = 'object'),
  -- json, not jsonb: a replay answers the stored bytes, key order included.
  response_body     json,
  created_at        timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, idempotency_key),
  CHECK ((response_status IS NULL) = (response_body IS NULL))
);
-- The cleanup deletes expired keys oldest first.
CREATE INDEX idx_idempotency_keys_expires ON idempotency_keys (expires_at);
