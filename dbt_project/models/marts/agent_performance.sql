-- How often an agent's actions break things (grain: agent_performance_id =
-- md5(scope | agent | session_id or '')), per session (scope 'session') and over
-- all sessions (scope 'overall'). Only agents with at least one action get rows.
-- Counts come from int_agent_session_performance (see there);
--   success_rate = greatest(0, (total_actions - induced_error_count) / total_actions)
-- One action can be blamed for several errors, hence the clamp at 0.
with

per_session as (
    select
        'session' as scope,
        agent,
        session_id,
        1 as sessions_count,
        total_actions,
        induced_error_count,
        first_action_at,
        last_action_at
    from {{ ref('int_agent_session_performance') }}
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
