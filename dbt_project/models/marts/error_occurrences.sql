-- One row per error event (grain: session_id + event_id) with its cluster.
-- Incremental by session (macros/session_scoped_incremental.sql): a run re-derives only
-- the sessions with new landing files.
{%- set sessions = session_scoped_incremental() %}
with

occurrences as (
    {{ current_error_occurrences(sessions) }}
),

final as (
    select
        event_id,
        project_id,
        session_id,
        {{ adapter.quote('timestamp') }},
        cluster_id,
        error_type,
        normalized_message
    from occurrences
)

select * from final
