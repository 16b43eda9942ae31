-- Landed events as they are in the landing zone: one row per landed row (duplicates
-- included), columns typed and named as the warehouse uses them. No logic here:
-- deduplication is in the `events` mart (see events.sql).
-- With no landing file yet, a typed empty relation stands in for the source so a
-- build on a fresh data dir succeeds with empty marts.
{%- set landing = source('landing', 'events') %}

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
        cast(event_id as varchar) as event_id,
        cast(event_id_source as varchar) as event_id_source,
        cast(session_id as varchar) as session_id,
        cast(event_type as varchar) as event_type,
        cast(source_type as varchar) as source_type,
        cast("timestamp" as timestamptz) as "timestamp",
        cast(actor as varchar) as actor,
        cast(file_path as varchar) as file_path,
        cast(message as varchar) as message,
        cast(error_type as varchar) as error_type,
        cast(severity as varchar) as severity,
        cast(status as varchar) as status,
        cast(parent_id as varchar) as parent_id,
        cast(trace_id as varchar) as trace_id,
        cast(span_id as varchar) as span_id,
        cast(model as varchar) as model,
        cast(input_tokens as bigint) as input_tokens,
        cast(output_tokens as bigint) as output_tokens,
        cast(cost_usd as double) as cost_usd,
        cast(attributes as varchar) as attributes,
        cast(event_hash as varchar) as event_hash,
        cast(received_at as timestamptz) as received_at,
        cast(batch_id as varchar) as batch_id,
        cast(batch_index as integer) as batch_index
    from landed
)

select * from final
