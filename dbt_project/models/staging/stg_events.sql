-- Landed events as they are in the landing zone: one row per landed row (duplicates
-- included), columns typed and named as the warehouse uses them. No logic here:
-- deduplication is in int_events_deduplicated.
-- With no landing file yet, a typed empty relation stands in for the source so a
-- build on a fresh data dir succeeds with empty marts.
{%- set landing = landing_source('events') %}
-- depends_on: {{ ref('stg_landing_sessions') }}

with

{% if landing_has_files() %}
landed as (
    select * from {{ landing }}
),
{% else %}
landed as (
    {{ landing_events_empty() }}
),
{% endif %}

final as (
    select
        {{ typed_landing_columns() }}
    from landed
)

select * from final
