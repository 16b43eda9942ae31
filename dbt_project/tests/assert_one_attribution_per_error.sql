-- Every correlated error has exactly one attribution_rank = 1 row per method, and
-- ranks run 1..n without gaps.
with

per_error as (
    select
        project_id,
        session_id,
        method,
        error_event_id,
        count(*) filter (where attribution_rank = 1) as rank_one_rows,
        count(*) as candidate_rows,
        max(attribution_rank) as max_rank
    from {{ scoped(ref('event_correlations')) }}
    group by project_id, session_id, method, error_event_id
),

final as (
    select * from per_error
    where rank_one_rows <> 1 or max_rank <> candidate_rows
)

select * from final
