-- One row per error cluster (grain: cluster_id), across all sessions.
-- cluster_id = md5(coalesce(error_type, '') || '|' || normalized_message).
-- sample_message and error_type come from the cluster's earliest occurrence
-- (timestamp, session_id, event_id) so they do not depend on arrival order.
-- Rolled up from session_error_clusters (one row per session and cluster, far fewer
-- than error events), so it stays cheap to rebuild in full after an incremental run.
with

per_session as (
    select * from {{ ref('session_error_clusters') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by cluster_id order by first_seen_at, session_id, first_event_id
        ) as sample_rank
    from per_session
),

aggregated as (
    select
        cluster_id,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        sum(occurrences) as occurrences,
        count(*) as sessions_affected
    from per_session
    group by cluster_id
),

final as (
    select
        aggregated.cluster_id,
        ranked.error_type,
        ranked.normalized_message,
        ranked.sample_message,
        aggregated.first_seen_at,
        aggregated.last_seen_at,
        cast(aggregated.occurrences as bigint) as occurrences,
        aggregated.sessions_affected
    from aggregated
    inner join ranked
        on aggregated.cluster_id = ranked.cluster_id and ranked.sample_rank = 1
)

select * from final
