-- One row per session and error cluster (grain: session_id + cluster_id).
-- first_event_id and sample_message come from the session's earliest occurrence
-- (timestamp, event_id); error_clusters picks its sample among these.
-- Incremental by session (macros/session_scoped_incremental.sql): a run re-derives only
-- the sessions with new landing files.
{%- set sessions = session_scoped_incremental() %}
with

occurrences as (
    {{ current_error_occurrences(sessions) }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by project_id, session_id, cluster_id order by {{ adapter.quote('timestamp') }}, event_id
        ) as occurrence_rank
    from occurrences
),

aggregated as (
    select
        project_id,
        session_id,
        cluster_id,
        count(*) as occurrences,
        min({{ adapter.quote('timestamp') }}) as first_seen_at,
        max({{ adapter.quote('timestamp') }}) as last_seen_at
    from occurrences
    group by project_id, session_id, cluster_id
),

final as (
    select
        aggregated.project_id,
        aggregated.session_id,
        aggregated.cluster_id,
        ranked.error_type,
        ranked.normalized_message,
        ranked.event_id as first_event_id,
        ranked.message as sample_message,
        aggregated.occurrences,
        aggregated.first_seen_at,
        aggregated.last_seen_at
    from aggregated
    inner join ranked
        on
            aggregated.project_id = ranked.project_id and aggregated.session_id = ranked.session_id
            and aggregated.cluster_id = ranked.cluster_id
            and ranked.occurrence_rank = 1
)

select * from final
