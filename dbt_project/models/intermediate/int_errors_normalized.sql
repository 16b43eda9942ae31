-- Every error event with its normalized message and cluster key (grain: session_id +
-- event_id). The regex chain in normalize_error_message is the costly step of the
-- error path, so this model is incremental: it normalizes only error rows received
-- after (newest received_at already normalized - incremental_lookback_s).
-- A row whose event later stops being an error or stops being kept by the dedupe
-- (rare: a late duplicate) stays here stale; int_error_occurrences joins back to
-- `events` on (session_id, event_id, event_hash, timestamp) so it never leaks out.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['session_id', 'event_id'],
        on_schema_change='fail',
    )
}}

with

errors as (
    select *
    from {{ ref('events') }}
    where event_type = 'error'
    {% if is_incremental() %}
        and received_at > (
            select coalesce(max(received_at) - {{ incremental_lookback() }}, '-infinity'::timestamptz)
            from {{ this }}
        )
    {% endif %}
),

normalized as (
    select
        session_id,
        event_id,
        "timestamp",
        received_at,
        event_hash,
        error_type,
        message,
        {{ normalize_error_message('message') }} as normalized_message
    from errors
),

final as (
    select
        session_id,
        event_id,
        "timestamp",
        received_at,
        event_hash,
        error_type,
        message,
        normalized_message,
        md5(coalesce(error_type, '') || '|' || normalized_message) as cluster_id
    from normalized
)

select * from final
