{{ config(meta={"dagster": {"ref": {"name": "stg_events"}}}) }}
-- What the dedupe relies on holds in the landing zone: every landed row has an
-- event_id, a known event_id_source, a session_id, a timestamp, an event_hash and a
-- received_at. One pass over the files (on an incremental run, only the folders of
-- the sessions it re-derived) instead of one full read per column test.
-- depends_on: {{ ref('stg_events') }}
-- depends_on: {{ ref('events') }}
with

landed as (
    select * from {{ scoped_landing_rows() }}
),

final as (
    select session_id, event_id, event_id_source, {{ adapter.quote('timestamp') }}, event_hash, received_at
    from landed
    where
        event_id is null
        or event_id_source is null
        or event_id_source not in ('client', 'derived')
        or session_id is null
        or {{ adapter.quote('timestamp') }} is null
        or event_hash is null
        or received_at is null
)

select * from final
