-- Each agent's actions and induced errors in one session (grain: session_id + agent);
-- agent_performance adds the rates and the roll-up over all sessions.
--   total_actions       = agent actions (event_type 'agent_action', source_type 'agent')
--   induced_error_count = error events (not the failing runs the change_set method also
--                         explains) whose attribution_rank = 1 correlation of method
--                         time_window or change_set points at one of those actions; a
--                         tool call's own failure (method 'self': a Read of a missing
--                         file) breaks nothing and is not counted
-- Only agents with at least one action get rows. Incremental by session
-- (macros/session_scoped_incremental.sql).
{%- set sessions = session_scoped_incremental() %}
with

actions as (
    select
        project_id,
        session_id,
        coalesce(actor, 'unknown') as agent,
        {{ adapter.quote('timestamp') }}
    from {{ ref('int_events_deduplicated') }}
    where
        event_type = 'agent_action'
        and source_type = 'agent'
        and {{ in_sessions(sessions) }}
),

error_ids as (
    select project_id, session_id, event_id
    from {{ ref('int_events_deduplicated') }}
    where event_type = 'error' and {{ in_sessions(sessions) }}
),

attributed_errors as (
    select distinct correlations.project_id, correlations.session_id, correlations.error_event_id, correlations.agent
    from {{ ref('int_action_error_correlations') }} as correlations
    inner join error_ids
        on
            correlations.project_id = error_ids.project_id and correlations.session_id = error_ids.session_id
            and correlations.error_event_id = error_ids.event_id
    where
        correlations.attribution_rank = 1
        and correlations.method in ('time_window', 'change_set')
        and {{ in_sessions(sessions, 'correlations.session_id') }}
),

session_actions as (
    select
        project_id,
        session_id,
        agent,
        count(*) as total_actions,
        min({{ adapter.quote('timestamp') }}) as first_action_at,
        max({{ adapter.quote('timestamp') }}) as last_action_at
    from actions
    group by project_id, session_id, agent
),

session_induced as (
    select
        project_id,
        session_id,
        agent,
        count(distinct error_event_id) as induced_error_count
    from attributed_errors
    group by project_id, session_id, agent
),

final as (
    select
        session_actions.project_id,
        session_actions.session_id,
        session_actions.agent,
        session_actions.total_actions,
        coalesce(session_induced.induced_error_count, 0) as induced_error_count,
        session_actions.first_action_at,
        session_actions.last_action_at
    from session_actions
    left join session_induced
        on
            session_actions.project_id = session_induced.project_id and session_actions.session_id = session_induced.session_id
            and session_actions.agent = session_induced.agent
)

select * from final
