-- One row per error event (grain: session_id + event_id) with its cluster.
with

occurrences as (
    select * from {{ ref('int_error_occurrences') }}
),

final as (
    select
        event_id,
        session_id,
        "timestamp",
        cluster_id,
        error_type,
        normalized_message
    from occurrences
)

select * from final
order by session_id, "timestamp", event_id
