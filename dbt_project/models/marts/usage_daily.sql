-- LLM usage and cost by project_id x day x agent x model x project (grain:
-- usage_daily_id = md5(usage_date | agent | model | project), nulls as '', prefixed
-- '<project_id>/' outside project default). `project` is the session's repository
-- project (from its start event); `project_id` the Achilles project (tenant). usage_date is the call's
-- UTC date. cost_usd sums the priced calls; unpriced_calls counts the others; cost_usd
-- is null when none could be priced, never 0. Token sums are try_cast to bigint: a sum
-- past its range (beyond any real use: calls are bounded to 1e12 tokens) is null, not a
-- failed build.
with

usage as (
    select * from {{ ref('llm_usage') }}
),

grouped as (
    select
        project_id,
        usage_date,
        agent,
        model,
        project,
        count(distinct session_id) as sessions,
        {{ usage_sums() }}
    from usage
    group by project_id, usage_date, agent, model, project
),

final as (
    select
        {{ dbt.hash(qualified_in_project(
            dbt.cast('usage_date', dbt.type_string()) ~ " || '|' || agent || '|' || coalesce(model, '')
            || '|' || coalesce(project, '')"
        )) }} as usage_daily_id,
        project_id,
        usage_date,
        agent,
        model,
        project,
        cast(sessions as bigint) as sessions,
        cast(llm_calls as bigint) as llm_calls,
        try_cast(input_tokens as bigint) as input_tokens,
        try_cast(output_tokens as bigint) as output_tokens,
        try_cast(cache_read_tokens as bigint) as cache_read_tokens,
        try_cast(cache_write_tokens as bigint) as cache_write_tokens,
        try_cast(cache_write_1h_tokens as bigint) as cache_write_1h_tokens,
        try_cast(reasoning_tokens as bigint) as reasoning_tokens,
        try_cast(total_tokens as bigint) as total_tokens,
        cast(cost_usd_exact as double) as cost_usd,
        cast(unpriced_calls as bigint) as unpriced_calls,
        cast(client_cost_usd as double) as client_cost_usd
    from grouped
)

select * from final
