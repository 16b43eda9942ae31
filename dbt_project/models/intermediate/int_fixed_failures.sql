-- Failures that were fixed, and what fixing them cost (grain: session_id + run_scope +
-- failed_at). A run's scope is its event type and runner command (attributes.runner,
-- e.g. 'npm test', 'mix compile'). A fixed failure is a streak of failing runs
-- (status failed or error) of one scope ended by a passing run of that scope in the
-- same session; it starts at the streak's first failing run. A streak never followed
-- by a pass is not a fixed failure. agent_performance prices the spend in between.
-- Incremental by session (macros/session_scoped_incremental.sql): rebuilt whole, it
-- took 4.5-6 s of every incremental build at 10 M events.
{%- set sessions = session_scoped_incremental() %}
with

runs as (
    select
        project_id,
        session_id,
        coalesce(actor, 'unknown') as agent,
        event_type || '|' || coalesce({{ json_text('attributes', '$.runner') }}, '') as run_scope,
        {{ adapter.quote('timestamp') }} as run_at,
        status
    from {{ ref('int_events_deduplicated') }}
    where
        event_type in ('test_run', 'check_run')
        and status in ('passed', 'failed', 'error')
        and {{ in_sessions(sessions) }}
),

failing as (
    select * from runs where status in ('failed', 'error')
),

passing as (
    select * from runs where status = 'passed'
),

-- each failing run with the pass that ended its streak (the first pass after it)
failing_with_fix as (
    select
        failing.project_id,
        failing.session_id,
        failing.agent,
        failing.run_scope,
        failing.run_at,
        min(passing.run_at) as fixed_at
    from failing
    inner join passing
        on
            failing.project_id = passing.project_id and failing.session_id = passing.session_id
            and failing.run_scope = passing.run_scope
            and passing.run_at > failing.run_at
    group by failing.project_id, failing.session_id, failing.agent, failing.run_scope, failing.run_at
),

streaks as (
    select
        project_id,
        session_id,
        run_scope,
        fixed_at,
        min(agent) as agent,
        min(run_at) as failed_at,
        count(*) as failing_runs
    from failing_with_fix
    group by project_id, session_id, run_scope, fixed_at
),

final as (
    select
        project_id,
        session_id,
        agent,
        run_scope,
        failed_at,
        fixed_at,
        cast(failing_runs as bigint) as failing_runs
    from streaks
)

select * from final
