-- LLM usage and cost per session (grain: session_id), for every session with at least
-- one llm_call. A subagent's calls stay in its own session's row (parent_session_id
-- set); its parent's row also shows them rolled up apart, in the subagent_* columns,
-- and total_cost_usd = cost_usd + subagent_cost_usd. Sum the own columns (not the
-- total ones) over rows to avoid counting a subagent twice.
-- cost_usd sums the priced calls (exact decimal sum); unpriced_calls counts the others
-- (see llm_usage.cost_status); cost_usd is null when no call could be priced, never 0.
with

usage as (
    select * from {{ ref('llm_usage') }}
),

own as (
    select
        project_id,
        session_id,
        max(parent_session_id) as parent_session_id,
        max(agent) as agent,
        max(project) as project,
        {{ sorted_distinct_list('model', ', ') }} as models,
        min({{ adapter.quote('timestamp') }}) as first_call_at,
        max({{ adapter.quote('timestamp') }}) as last_call_at,
        {{ usage_sums() }},
        max(price_data_version) as price_data_version
    from usage
    group by project_id, session_id
),

subagents as (
    select
        project_id,
        parent_session_id as session_id,
        count(distinct session_id) as subagent_sessions,
        count(*) as subagent_llm_calls,
        sum(total_tokens) as subagent_total_tokens,
        sum(cost_usd_exact) as subagent_cost_usd_exact,
        count(*) filter (where cost_status <> 'priced') as subagent_unpriced_calls
    from usage
    where parent_session_id is not null
    group by project_id, parent_session_id
),

final as (
    select
        own.project_id,
        own.session_id,
        own.parent_session_id,
        own.agent,
        own.project,
        own.models,
        own.first_call_at,
        own.last_call_at,
        cast(own.llm_calls as bigint) as llm_calls,
        try_cast(own.input_tokens as bigint) as input_tokens,
        try_cast(own.output_tokens as bigint) as output_tokens,
        try_cast(own.cache_read_tokens as bigint) as cache_read_tokens,
        try_cast(own.cache_write_tokens as bigint) as cache_write_tokens,
        try_cast(own.cache_write_1h_tokens as bigint) as cache_write_1h_tokens,
        try_cast(own.reasoning_tokens as bigint) as reasoning_tokens,
        try_cast(own.total_tokens as bigint) as total_tokens,
        cast(own.cost_usd_exact as double) as cost_usd,
        cast(own.unpriced_calls as bigint) as unpriced_calls,
        cast(own.client_cost_usd as double) as client_cost_usd,
        cast(coalesce(subagents.subagent_sessions, 0) as bigint) as subagent_sessions,
        cast(coalesce(subagents.subagent_llm_calls, 0) as bigint) as subagent_llm_calls,
        try_cast(coalesce(subagents.subagent_total_tokens, 0) as bigint) as subagent_total_tokens,
        cast(subagents.subagent_cost_usd_exact as double) as subagent_cost_usd,
        cast(coalesce(subagents.subagent_unpriced_calls, 0) as bigint)
            as subagent_unpriced_calls,
        cast(
            case
                when own.cost_usd_exact is null and subagents.subagent_cost_usd_exact is null
                    then null
                else
                    coalesce(own.cost_usd_exact, 0)
                    + coalesce(subagents.subagent_cost_usd_exact, 0)
            end as double
        ) as total_cost_usd,
        own.price_data_version
    from own
    left join subagents on own.project_id = subagents.project_id and own.session_id = subagents.session_id
)

select * from final
