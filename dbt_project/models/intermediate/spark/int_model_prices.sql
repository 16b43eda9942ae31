-- int_model_prices on Spark, which runs no Python model: the same rows (one per model,
-- price period and long-context tier; see int_model_prices.py), read from the file the
-- build writes first (achilles_core/pricing.py write_price_file, var `model_prices`).
{{ config(materialized='table', enabled=target.type == 'spark') }}
-- depends_on: {{ ref('int_llm_models') }}
with

priced as (
    select * from {{ read_parquet_file(var('model_prices', '')) }}
),

final as (
    select
        cast(model as {{ dbt.type_string() }}) as model,
        cast(price_status as {{ dbt.type_string() }}) as price_status,
        cast(price_note as {{ dbt.type_string() }}) as price_note,
        cast(provider_id as {{ dbt.type_string() }}) as provider_id,
        cast(price_model_id as {{ dbt.type_string() }}) as price_model_id,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        cast(tier_input_above as bigint) as tier_input_above,
        cast(input_usd_mtok as decimal(24, 12)) as input_usd_mtok,
        cast(cache_read_usd_mtok as decimal(24, 12)) as cache_read_usd_mtok,
        cast(cache_write_usd_mtok as decimal(24, 12)) as cache_write_usd_mtok,
        cast(cache_write_1h_usd_mtok as decimal(24, 12)) as cache_write_1h_usd_mtok,
        cast(output_usd_mtok as decimal(24, 12)) as output_usd_mtok,
        cast(request_usd as decimal(24, 12)) as request_usd,
        cast(price_data_version as {{ dbt.type_string() }}) as price_data_version
    from priced
)

select * from final
