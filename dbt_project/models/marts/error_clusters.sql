-- One row per error cluster (grain: cluster_id), across all sessions.
-- cluster_id = md5(coalesce(error_type, '') || '|' || normalized_message).
-- sample_message and error_type come from the cluster's earliest occurrence
-- (timestamp, session_id, event_id) so they do not depend on arrival order.
with

occurrences as (
    select * from {{ ref('int_error_occurrences') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by cluster_id order by "timestamp", session_id, event_id
        ) as occurrence_rank
    from occurrences
),

aggregated as (
    select
        cluster_id,
        min("timestamp") as first_seen_at,
        max("timestamp") as last_seen_at,
        count(*) as occurrences,
        count(distinct session_id) as sessions_affected
    from occurrences
    group by cluster_id
),

final as (
    select
        aggregated.cluster_id,
        ranked.error_type,
        ranked.normalized_message,
        ranked.message as sample_message,
        aggregated.first_seen_at,
        aggregated.last_seen_at,
        aggregated.occurrences,
        aggregated.sessions_affected
    from aggregated
    inner join ranked
        on aggregated.cluster_id = ranked.cluster_id and ranked.occurrence_rank = 1
)

select * from final
order by cluster_id
