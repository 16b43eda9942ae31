-- One row per session and error cluster (grain: session_id + cluster_id).
with

occurrences as (
    select * from {{ ref('int_error_occurrences') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by session_id, cluster_id order by "timestamp", event_id
        ) as occurrence_rank
    from occurrences
),

aggregated as (
    select
        session_id,
        cluster_id,
        count(*) as occurrences,
        min("timestamp") as first_seen_at,
        max("timestamp") as last_seen_at
    from occurrences
    group by session_id, cluster_id
),

final as (
    select
        aggregated.session_id,
        aggregated.cluster_id,
        ranked.error_type,
        ranked.normalized_message,
        aggregated.occurrences,
        aggregated.first_seen_at,
        aggregated.last_seen_at
    from aggregated
    inner join ranked
        on
            aggregated.session_id = ranked.session_id
            and aggregated.cluster_id = ranked.cluster_id
            and ranked.occurrence_rank = 1
)

select * from final
order by session_id, cluster_id
