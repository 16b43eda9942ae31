-- Which agent action may have caused which error (grain: correlation_id). The
-- correlators are int_action_error_correlations's (see there); this view publishes them.
{{ session_scoped_view('int_action_error_correlations') }}
with

correlations as (
    select * from {{ ref('int_action_error_correlations') }}
),

final as (
    select
        correlation_id,
        project_id,
        session_id,
        method,
        action_event_id,
        error_event_id,
        agent,
        action_file_path,
        error_file_path,
        error_cluster_id,
        action_timestamp,
        error_timestamp,
        lag_s,
        same_file,
        confidence,
        attribution_rank
    from correlations
)

select * from final
