-- Landed OTLP metric points as they are in the landing zone: one row per landed row
-- (a retried export's copies included), typed. Deduplication is in the metrics mart.
-- With no metrics file yet, a typed empty relation stands in for the source.
{%- set landing = landing_source('metric_points') %}

with

{% if metric_points_have_files() %}
landed as (
    select * from {{ landing }}
),
{% else %}
landed as (
    {{ metric_points_empty() }}
),
{% endif %}

final as (
    select
        {{ typed_metric_point_columns() }}
    from landed
)

select * from final
