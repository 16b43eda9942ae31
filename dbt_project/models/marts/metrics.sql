-- OTLP metric data points (grain: project_id, point_id), e.g. Claude Code's
-- claude_code.token.usage, cost.usage, lines_of_code.count. A retried export lands a
-- point again with the same point_id (a hash of its content); the first landed copy
-- is kept. Values are as the exporter sent them: a cumulative counter's points are
-- running totals, a delta counter's are increments (see temporality).
with

points as (
    select * from {{ ref('stg_metric_points') }}
),

ranked as (
    select
        points.*,
        row_number() over (
            partition by project_id, point_id
            order by received_at, batch_id, batch_index
        ) as copy_rank
    from points
),

final as (
    select
        project_id,
        point_id,
        metric_name,
        metric_type,
        unit,
        value,
        point_count,
        is_monotonic,
        temporality,
        start_time,
        observed_at,
        session_id,
        model,
        type_attribute,
        service_name,
        attributes,
        resource_attributes,
        scope_name,
        received_at
    from ranked
    where copy_rank = 1
)

select * from final
