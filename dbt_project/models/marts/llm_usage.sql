-- One row per LLM call, priced (grain: usage_id = md5(session_id | event_id)).
-- Each call is priced by itself, never a session's sum, since long-context tiers apply
-- per request:
--   whole_input = input + cache_read + cache_write   (what a tier threshold counts)
--   cost_usd = ( input          * input rate
--              + cache_read     * cache read rate
--              + (cache_write - cache_write_1h) * 5-minute write rate
--              + cache_write_1h * 1-hour write rate
--              + output         * output rate ) / 1e6  + per-request fee
-- with the rates of the model's price row (int_model_prices) valid on the call's UTC
-- date whose tier_input_above is the largest below whole_input. output_tokens already
-- includes reasoning tokens, so reasoning is billed at the output rate.
-- A call with no model, or a model the price data does not know, gets cost_usd null
-- and cost_status saying why: never $0. client_cost_usd is the cost the client sent.
-- Token counts are bounded to [0, 1e12] (as on arrival) so no row can overflow.
-- Incremental by session (macros/session_scoped_incremental.sql): a run prices only the
-- calls of sessions with new landing files (re-pricing every call took 5.4 s a run at
-- 1 M events). The price data is part of the project's digest, so new prices rebuild all.
{%- set sessions = session_scoped_incremental() %}
with

calls as (
    select
        project_id,
        session_id,
        event_id,
        parent_session_id,
        {{ adapter.quote('timestamp') }},
        actor,
        model,
        least(greatest(coalesce(input_tokens, 0), 0), 1000000000000) as input_tokens,
        least(greatest(coalesce(output_tokens, 0), 0), 1000000000000) as output_tokens,
        least(greatest(coalesce(cache_read_tokens, 0), 0), 1000000000000) as cache_read_tokens,
        least(greatest(coalesce(cache_write_tokens, 0), 0), 1000000000000) as cache_write_tokens,
        least(greatest(coalesce(cache_write_1h_tokens, 0), 0), 1000000000000)
            as cache_write_1h_tokens,
        least(greatest(coalesce(reasoning_tokens, 0), 0), 1000000000000) as reasoning_tokens,
        cost_usd as client_cost_usd
    from {{ ref('int_events_deduplicated') }}
    where event_type = 'llm_call' and {{ in_sessions(sessions) }}
),

session_facts as (
    select
        project_id,
        session_id,
        {{ json_text('attributes', '$.agent') }} as agent,
        {{ json_text('attributes', '$.project') }} as project,
        row_number() over (
            partition by project_id, session_id order by {{ adapter.quote('timestamp') }}, event_id
        ) as start_rank
    from {{ ref('int_events_deduplicated') }}
    where event_type = 'session_start' and {{ in_sessions(sessions) }}
),

prices as (
    select * from {{ ref('int_model_prices') }}
),

model_status as (
    select
        model,
        bool_or(price_status = 'priced') as has_prices,
        max(price_status) filter (where price_status <> 'priced') as price_status,
        max(price_note) as price_note
    from prices
    group by model
),

measured as (
    select
        calls.*,
        cast(calls.{{ adapter.quote('timestamp') }} as date) as usage_date,
        calls.input_tokens + calls.cache_read_tokens + calls.cache_write_tokens as whole_input,
        -- a 1-hour part larger than the writes it belongs to is billed as plain writes
        least(calls.cache_write_1h_tokens, calls.cache_write_tokens) as billed_1h_tokens
    from calls
),

priced as (
    select
        measured.project_id,
        measured.session_id,
        measured.event_id,
        prices.provider_id,
        prices.price_model_id,
        prices.price_data_version,
        cast(measured.input_tokens as decimal(18, 0)) * prices.input_usd_mtok
        + cast(measured.cache_read_tokens as decimal(18, 0)) * prices.cache_read_usd_mtok
        + cast(measured.cache_write_tokens - measured.billed_1h_tokens as decimal(18, 0))
        * prices.cache_write_usd_mtok
        + cast(measured.billed_1h_tokens as decimal(18, 0)) * prices.cache_write_1h_usd_mtok
        + cast(measured.output_tokens as decimal(18, 0)) * prices.output_usd_mtok
            as cost_usd_mtok,
        prices.request_usd,
        row_number() over (
            partition by measured.project_id, measured.session_id, measured.event_id
            order by prices.tier_input_above desc
        ) as tier_rank
    from measured
    inner join prices
        on
            measured.model = prices.model
            and prices.price_status = 'priced'
            and (prices.valid_from is null or measured.usage_date >= prices.valid_from)
            and (prices.valid_to is null or measured.usage_date < prices.valid_to)
            and measured.whole_input > prices.tier_input_above
),

with_cost as (
    select
        {{ dbt.hash(qualified_session_id('measured.') ~ " || '|' || measured.event_id") }} as usage_id,
        measured.project_id,
        measured.session_id,
        measured.event_id,
        measured.parent_session_id,
        coalesce(measured.parent_session_id, measured.session_id) as root_session_id,
        measured.{{ adapter.quote('timestamp') }},
        measured.usage_date,
        coalesce(session_facts.agent, measured.actor, 'unknown') as agent,
        measured.actor,
        session_facts.project,
        measured.model,
        priced.provider_id,
        priced.price_model_id,
        measured.input_tokens,
        measured.output_tokens,
        measured.cache_read_tokens,
        measured.cache_write_tokens,
        measured.cache_write_1h_tokens,
        measured.reasoning_tokens,
        measured.whole_input + measured.output_tokens as total_tokens,
        -- exact (decimal) so sums do not depend on row order; x * 0.000001, not / 1e6,
        -- because DuckDB turns a decimal divided by an integer into a double
        try_cast(
            priced.cost_usd_mtok * cast(0.000001 as decimal(7, 6)) + priced.request_usd
            as decimal(38, 18)
        ) as cost_usd_exact,
        measured.client_cost_usd,
        case
            when priced.cost_usd_mtok is not null then 'priced'
            when measured.model is null then 'no_model'
            when model_status.has_prices then 'no_price_for_date'
            else coalesce(model_status.price_status, 'unknown_model')
        end as cost_status,
        case
            when priced.cost_usd_mtok is not null then null
            when measured.model is null then 'the call names no model'
            when model_status.has_prices then 'no price of this model on the call''s date'
            else coalesce(model_status.price_note, 'the model is not in the price table')
        end as cost_note,
        coalesce(
            priced.price_data_version, (select max(price_data_version) from prices)
        ) as price_data_version
    from measured
    left join priced
        on
            measured.project_id = priced.project_id and measured.session_id = priced.session_id
            and measured.event_id = priced.event_id
            and priced.tier_rank = 1
    left join session_facts
        on measured.project_id = session_facts.project_id and measured.session_id = session_facts.session_id and session_facts.start_rank = 1
    left join model_status
        on measured.model = model_status.model
),

final as (
    select
        {{ star_except(['cost_usd_exact']) }},
        cast(cost_usd_exact as double) as cost_usd,
        cost_usd_exact
    from with_cost
)

select * from final
