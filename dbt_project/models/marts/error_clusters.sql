-- One row per error cluster of a project (grain: project_id + cluster_id), across the
-- project's sessions (a cluster never spans projects).
-- cluster_id = md5(coalesce(error_type, '') || '|' || normalized_message).
-- sample_message and error_type come from the cluster's earliest occurrence
-- (timestamp, session_id, event_id) so they do not depend on arrival order.
-- Rolled up from session_error_clusters (one row per session and cluster, far fewer
-- than error events) in one hash aggregate, so it stays cheap to rebuild in full
-- after an incremental run.
with

per_session as (
    select * from {{ ref('session_error_clusters') }}
),

aggregated as (
    select
        project_id,
        cluster_id,
        {{ struct_of_min(
            {'error_type': 'error_type', 'normalized_message': 'normalized_message',
             'sample_message': 'sample_message'},
            ['first_seen_at', 'session_id', 'first_event_id']
        ) }} as earliest,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        sum(occurrences) as occurrences,
        count(*) as sessions_affected
    from per_session
    group by project_id, cluster_id
),

final as (
    select
        project_id,
        cluster_id,
        earliest.error_type,
        earliest.normalized_message,
        earliest.sample_message,
        first_seen_at,
        last_seen_at,
        cast(occurrences as bigint) as occurrences,
        sessions_affected
    from aggregated
)

select * from final
