-- One row per session (grain: session_id): every session with at least one kept event.
-- Session facts (actor, agent, repo, project, branch, parent_session_id, started_at)
-- come from its earliest session_start event (the API's start names repo and branch;
-- an agent log's names project and git_branch); ended_at and outcome from its latest
-- session_end event; models from its llm_call events.
-- Counts exclude session_start/session_end; first_event_at/last_event_at span the
-- same counted events (null when there are none). Sums go through decimal so they
-- do not depend on the order rows are added in.
-- Incremental by session (macros/session_scoped_incremental.sql): a run re-derives only
-- the sessions with new landing files.
{%- set sessions = session_scoped_incremental() %}
with

events as (
    select * from {{ ref('int_events_deduplicated') }}
    where {{ in_sessions(sessions) }}
),

session_starts as (
    select
        project_id,
        session_id,
        actor,
        {{ json_text('attributes', '$.agent') }} as agent,
        {{ json_text('attributes', '$.repo') }} as repo,
        {{ json_text('attributes', '$.project') }} as project,
        coalesce(
            {{ json_text('attributes', '$.branch') }},
            {{ json_text('attributes', '$.git_branch') }}
        ) as branch,
        coalesce(
            parent_session_id, {{ json_text('attributes', '$.parent_session_id') }}
        ) as parent_session_id,
        {{ adapter.quote('timestamp') }} as started_at,
        row_number() over (partition by project_id, session_id order by {{ adapter.quote('timestamp') }}, event_id) as start_rank
    from events
    where event_type = 'session_start'
),

session_ends as (
    select
        project_id,
        session_id,
        {{ adapter.quote('timestamp') }} as ended_at,
        status as outcome,
        row_number() over (
            partition by project_id, session_id order by {{ adapter.quote('timestamp') }} desc, event_id desc
        ) as end_rank
    from events
    where event_type = 'session_end'
),

-- Usage and cost (issue #11): priced per call in llm_usage; this session's own calls.
-- llm_cost_usd is the computed cost (null when no call could be priced), cost_usd
-- above stays the sum of what clients sent.
llm_usage_totals as (
    select
        project_id,
        session_id,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        sum(cost_usd_exact) as llm_cost_usd_exact,
        count(*) filter (where cost_status <> 'priced') as unpriced_llm_calls
    from {{ ref('llm_usage') }}
    where {{ in_sessions(sessions) }}
    group by project_id, session_id
),

all_sessions as (
    select distinct project_id, session_id from events
),

session_models as (
    select
        project_id,
        session_id,
        {{ sorted_distinct_list('model') }} as models
    from events
    where event_type = 'llm_call' and model is not null
    group by project_id, session_id
),

activity as (
    select
        project_id,
        session_id,
        min({{ adapter.quote('timestamp') }}) as first_event_at,
        max({{ adapter.quote('timestamp') }}) as last_event_at,
        count(*) as event_count,
        count(*) filter (where source_type = 'agent') as agent_event_count,
        count(*) filter (where event_type = 'error') as error_count,
        count(*) filter (where event_type = 'test_run' and status = 'passed') as test_runs_passed,
        count(*) filter (
            where event_type = 'test_run' and status in ('failed', 'error')
        ) as test_runs_failed,
        count(*) filter (where event_type = 'llm_call') as llm_calls,
        -- sum() over bigint is a 128-bit integer in DuckDB: the contract's type is bigint.
        cast(coalesce(sum(input_tokens), 0) as bigint) as input_tokens,
        cast(coalesce(sum(output_tokens), 0) as bigint) as output_tokens,
        cast(coalesce(sum(try_cast(cost_usd as decimal(38, 12))), 0) as double) as cost_usd,
        count(distinct file_path) as distinct_files
    from events
    where event_type not in ('session_start', 'session_end')
    group by project_id, session_id
),

final as (
    select
        all_sessions.project_id,
        all_sessions.session_id,
        session_starts.actor,
        session_starts.agent,
        session_starts.repo,
        session_starts.project,
        session_starts.branch,
        session_starts.parent_session_id,
        session_models.models,
        session_starts.started_at,
        session_ends.ended_at,
        session_ends.outcome,
        activity.first_event_at,
        activity.last_event_at,
        coalesce(activity.event_count, 0) as event_count,
        coalesce(activity.agent_event_count, 0) as agent_event_count,
        coalesce(activity.agent_event_count, 0) as agent_activity_score,
        coalesce(activity.error_count, 0) as error_count,
        case
            when coalesce(activity.event_count, 0) = 0 then 0.0
            else {{ safe_divide('100 * activity.error_count', 'activity.event_count') }}
        end as error_density,
        coalesce(activity.test_runs_passed, 0) as test_runs_passed,
        coalesce(activity.test_runs_failed, 0) as test_runs_failed,
        coalesce(activity.llm_calls, 0) as llm_calls,
        coalesce(activity.input_tokens, 0) as input_tokens,
        coalesce(activity.output_tokens, 0) as output_tokens,
        coalesce(activity.cost_usd, 0.0) as cost_usd,
        coalesce(activity.distinct_files, 0) as distinct_files,
        coalesce(try_cast(llm_usage_totals.cache_read_tokens as bigint), 0) as cache_read_tokens,
        coalesce(try_cast(llm_usage_totals.cache_write_tokens as bigint), 0)
            as cache_write_tokens,
        coalesce(try_cast(llm_usage_totals.reasoning_tokens as bigint), 0) as reasoning_tokens,
        cast(llm_usage_totals.llm_cost_usd_exact as double) as llm_cost_usd,
        coalesce(cast(llm_usage_totals.unpriced_llm_calls as bigint), 0) as unpriced_llm_calls
    from all_sessions
    left join session_starts
        on all_sessions.project_id = session_starts.project_id and all_sessions.session_id = session_starts.session_id and session_starts.start_rank = 1
    left join session_ends
        on all_sessions.project_id = session_ends.project_id and all_sessions.session_id = session_ends.session_id and session_ends.end_rank = 1
    left join activity
        on all_sessions.project_id = activity.project_id and all_sessions.session_id = activity.session_id
    left join session_models
        on all_sessions.project_id = session_models.project_id and all_sessions.session_id = session_models.session_id
    left join llm_usage_totals
        on all_sessions.project_id = llm_usage_totals.project_id and all_sessions.session_id = llm_usage_totals.session_id
)

select * from final
