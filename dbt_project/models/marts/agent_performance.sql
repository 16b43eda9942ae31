-- How often an agent's actions break things (grain: agent_performance_id =
-- md5(scope | agent | session_id or ''), prefixed '<project>/' outside project
-- default), per project: per session (scope 'session') and over
-- all sessions (scope 'overall'). Only agents with at least one action get rows.
-- Counts come from int_agent_session_performance (see there);
--   success_rate = greatest(0, (total_actions - induced_error_count) / total_actions)
-- One action can be blamed for several errors, hence the clamp at 0.
-- Cost (llm_usage, int_fixed_failures):
--   cost_usd               = priced LLM spend of the agent's calls (actor = agent) in
--                            the session(s), own sessions only (a subagent is its own)
--   cost_per_session       = cost_usd / sessions_count
--   fixed_failures         = failing-run streaks ended by a green run of the same scope
--   cost_per_fixed_failure = spend between those failing runs and their green runs,
--                            divided by fixed_failures (null when there are none)
--   mean_fix_time_s        = mean seconds from a fixed failure's first failing run to
--                            its green run (null when there are none)
--   edit_actions           = the agent's actions of action_kind 'edit' (the dashboard's
--                            "edits"; total_actions counts every kind)
with

agent_cost as (
    select
        project_id,
        session_id,
        coalesce(actor, 'unknown') as agent,
        sum(cost_usd_exact) as cost_usd_exact
    from {{ ref('llm_usage') }}
    group by project_id, session_id, coalesce(actor, 'unknown')
),

-- the spend of a fixed failure: the session's own priced calls after its first
-- failing run, up to and including the green run
fix_spend as (
    select
        fixes.project_id,
        fixes.session_id,
        fixes.agent,
        fixes.run_scope,
        fixes.failed_at,
        max(fixes.fixed_at) as fixed_at,
        sum(usage.cost_usd_exact) as fix_cost_usd_exact
    from {{ ref('int_fixed_failures') }} as fixes
    left join {{ ref('llm_usage') }} as usage
        on
            fixes.project_id = usage.project_id and fixes.session_id = usage.session_id
            and usage.{{ adapter.quote('timestamp') }} > fixes.failed_at
            and usage.{{ adapter.quote('timestamp') }} <= fixes.fixed_at
    group by fixes.project_id, fixes.session_id, fixes.agent, fixes.run_scope, fixes.failed_at
),

agent_fixes as (
    select
        project_id,
        session_id,
        agent,
        count(*) as fixed_failures,
        sum(fix_cost_usd_exact) as fix_cost_usd_exact,
        sum({{ dbt.datediff('failed_at', 'fixed_at', 'millisecond') }}) as fix_time_ms
    from fix_spend
    group by project_id, session_id, agent
),

agent_edits as (
    select
        project_id,
        session_id,
        coalesce(actor, 'unknown') as agent,
        count(*) as edit_actions
    from {{ ref('int_events_deduplicated') }}
    where event_type = 'agent_action' and source_type = 'agent' and action_kind = 'edit'
    group by project_id, session_id, coalesce(actor, 'unknown')
),

per_session as (
    select
        'session' as scope,
        agent,
        project_id,
        session_id,
        1 as sessions_count,
        total_actions,
        induced_error_count,
        first_action_at,
        last_action_at,
        agent_cost.cost_usd_exact,
        coalesce(agent_fixes.fixed_failures, 0) as fixed_failures,
        agent_fixes.fix_cost_usd_exact,
        agent_fixes.fix_time_ms,
        coalesce(agent_edits.edit_actions, 0) as edit_actions
    from {{ ref('int_agent_session_performance') }} as performance
    left join agent_cost using (project_id, session_id, agent)
    left join agent_fixes using (project_id, session_id, agent)
    left join agent_edits using (project_id, session_id, agent)
),

overall as (
    select
        'overall' as scope,
        agent,
        project_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        count(*) as sessions_count,
        sum(total_actions) as total_actions,
        sum(induced_error_count) as induced_error_count,
        min(first_action_at) as first_action_at,
        max(last_action_at) as last_action_at,
        sum(cost_usd_exact) as cost_usd_exact,
        sum(fixed_failures) as fixed_failures,
        sum(fix_cost_usd_exact) as fix_cost_usd_exact,
        sum(fix_time_ms) as fix_time_ms,
        sum(edit_actions) as edit_actions
    from per_session
    group by project_id, agent
),

-- explicit columns, in one order: a union matches columns by position
combined as (
    select
        scope, agent, project_id, session_id, sessions_count, total_actions, induced_error_count,
        first_action_at, last_action_at, cost_usd_exact, fixed_failures, fix_cost_usd_exact,
        fix_time_ms, edit_actions
    from per_session
    union all
    select
        scope, agent, project_id, session_id, sessions_count, total_actions, induced_error_count,
        first_action_at, last_action_at, cost_usd_exact, fixed_failures, fix_cost_usd_exact,
        fix_time_ms, edit_actions
    from overall
),

final as (
    select
        {{ dbt.hash(qualified_in_project("scope || '|' || agent || '|' || coalesce(session_id, '')")) }}
            as agent_performance_id,
        scope,
        agent,
        project_id,
        session_id,
        cast(sessions_count as bigint) as sessions_count,
        cast(total_actions as bigint) as total_actions,
        cast(induced_error_count as bigint) as induced_error_count,
        greatest(
            0.0, {{ safe_divide('total_actions - induced_error_count', 'total_actions') }}
        ) as success_rate,
        first_action_at,
        last_action_at,
        cast(cost_usd_exact as double) as cost_usd,
        {{ safe_divide('cost_usd_exact', 'sessions_count') }} as cost_per_session,
        cast(fixed_failures as bigint) as fixed_failures,
        {{ safe_divide('fix_cost_usd_exact', 'fixed_failures') }} as cost_per_fixed_failure,
        {{ safe_divide('cast(fix_time_ms as double) / 1000.0', 'fixed_failures') }} as mean_fix_time_s,
        cast(edit_actions as bigint) as edit_actions
    from combined
)

select * from final
