-- The distinct model names on llm_call events (grain: model): what int_model_prices
-- looks up in the price data.
with

calls as (
    select model from {{ ref('int_events_deduplicated') }}
    where event_type = 'llm_call' and model is not null
),

final as (
    select distinct model from calls
)

select * from final
