{#- The aggregates every roll-up of llm_usage shares: calls, tokens by kind, cost. -#}
{% macro usage_sums() -%}
        count(*) as llm_calls,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(cache_write_1h_tokens) as cache_write_1h_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        sum(total_tokens) as total_tokens,
        sum(cost_usd_exact) as cost_usd_exact,
        count(*) filter (where cost_status <> 'priced') as unpriced_calls,
        sum(try_cast(client_cost_usd as decimal(38, 12))) as client_cost_usd
{%- endmacro %}
