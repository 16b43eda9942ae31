-- How often an agent's actions break things (grain: agent_performance_id =
-- md5(scope | agent | session_id or '')), per session (scope 'session') and over
-- all sessions (scope 'overall'). Only agents with at least one action get rows.
--   total_actions       = agent actions (event_type 'agent_action', source_type 'agent')
--   induced_error_count = errors whose attribution_rank = 1 correlation (any method
--                         in event_correlations) points at one of those actions
--   success_rate        = greatest(0, (total_actions - induced_error_count) / total_actions)
-- One action can be blamed for several errors, hence the clamp at 0.
with

events as (
    select * from {{ ref('events') }}
),

correlations as (
    select * from {{ ref('event_correlations') }}
),

actions as (
    select
        session_id,
        coalesce(actor, 'unknown') as agent,
        "timestamp"
    from events
    where event_type = 'agent_action' and source_type = 'agent'
),

session_actions as (
    select
        session_id,
        agent,
        count(*) as total_actions,
        min("timestamp") as first_action_at,
        max("timestamp") as last_action_at
    from actions
    group by session_id, agent
),

attributed_errors as (
    select distinct session_id, method, error_event_id, agent
    from correlations
    where attribution_rank = 1
),

session_induced as (
    select
        session_id,
        agent,
        count(distinct error_event_id) as induced_error_count
    from attributed_errors
    group by session_id, agent
),

per_session as (
    select
        'session' as scope,
        session_actions.agent,
        session_actions.session_id,
        1 as sessions_count,
        session_actions.total_actions,
        coalesce(session_induced.induced_error_count, 0) as induced_error_count,
        session_actions.first_action_at,
        session_actions.last_action_at
    from session_actions
    left join session_induced
        on
            session_actions.session_id = session_induced.session_id
            and session_actions.agent = session_induced.agent
),

overall as (
    select
        'overall' as scope,
        agent,
        cast(null as varchar) as session_id,
        count(*) as sessions_count,
        sum(total_actions) as total_actions,
        sum(induced_error_count) as induced_error_count,
        min(first_action_at) as first_action_at,
        max(last_action_at) as last_action_at
    from per_session
    group by agent
),

combined as (
    select * from per_session
    union all by name
    select * from overall
),

final as (
    select
        md5(scope || '|' || agent || '|' || coalesce(session_id, '')) as agent_performance_id,
        scope,
        agent,
        session_id,
        cast(sessions_count as bigint) as sessions_count,
        cast(total_actions as bigint) as total_actions,
        cast(induced_error_count as bigint) as induced_error_count,
        greatest(
            0.0,
            cast(total_actions - induced_error_count as double) / total_actions
        ) as success_rate,
        first_action_at,
        last_action_at
    from combined
)

select * from final
order by scope, agent, session_id nulls first
