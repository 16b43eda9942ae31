-- Every error event with its normalized message and cluster key (grain: session_id +
-- event_id). The regex chain in normalize_error_message is the costly step of the
-- error path, so this model is incremental by session (macros/session_scoped_incremental.sql):
-- a run normalizes only the errors of the sessions it re-derives.
{%- set sessions = session_scoped_incremental() %}
with

errors as (
    select *
    from {{ ref('int_events_deduplicated') }}
    where event_type = 'error' and {{ in_sessions(sessions) }}
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
