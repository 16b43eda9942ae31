{{ config(meta={"dagster": {"ref": {"name": "event_correlations"}}}) }}
-- Every correlation respects the window and points at an agent action and an error
-- of the same session. (Only the sessions the last build re-derived.)
with

correlations as (
    select * from {{ scoped(ref('event_correlations')) }}
),

events as (
    select * from {{ ref('events') }}
    where {{ scope_filter(ref('event_correlations')) }}
),

final as (
    select correlations.*
    from correlations
    left join events as actions
        on
            correlations.project_id = actions.project_id and correlations.session_id = actions.session_id
            and correlations.action_event_id = actions.event_id
    left join events as errors
        on
            correlations.project_id = errors.project_id and correlations.session_id = errors.session_id
            and correlations.error_event_id = errors.event_id
    where
        correlations.method = 'time_window'
        and (
            correlations.lag_s < 0
            or correlations.lag_s > {{ var('correlation_window_s') }}
            or actions.event_type is distinct from 'agent_action'
            or actions.source_type is distinct from 'agent'
            or errors.event_type is distinct from 'error'
        )
)

select * from final
