-- Landed events deduplicated and sequenced (grain: session_id + event_id); the
-- `events` mart publishes it. This is the warehouse's copy of the dedupe rule
-- (docs/warehouse-contract.md); tests/test_dedupe_parity.py holds the other copies
-- (the API's arrival check and landing scan, benchmarks/hand_sql.sql) to it.
--
-- Dedup rule, applied per session so the result does not depend on file arrival order:
--   1. same (session_id, event_id) -> keep the highest revision (a fuller version of
--      the same event: a tool call with its result, a response's final usage), then
--      the lowest (timestamp, event_hash, received_at, batch_index), batch_id last;
--   2. among derived-id rows, within (session_id, event_hash) ordered by
--      (timestamp, event_id), a row at most dedupe_window_s after the immediately
--      previous row is a duplicate (chained).
--
-- Incremental (macros/session_scoped_incremental.sql): both rules only look inside
-- one session, so an incremental run re-derives whole sessions, reading only the
-- landing folders of sessions whose files changed since the last build; the pre-hook
-- first drops their rows. That also covers a late duplicate that turns an already
-- built row into a duplicate, and a late row that shifts event_seq. --full-refresh
-- gives the same rows.
--
-- No `order by`: sorting 10 M rows costs a third of the build, and the published
-- snapshot is written ordered by (session_id, event_seq) anyway (orchestration/publish.py).
{%- set sessions = session_scoped_incremental() %}

with

scoped as (
    {% if sessions is none -%}
    select * from {{ ref('stg_events') }}
    {%- else -%}
    select
        {{ typed_landing_columns() }}
    from {{ landing_events_of(sessions) }}
    {%- endif %}
),

ranked_by_event_id as (
    select
        *,
        row_number() over (
            partition by project_id, session_id, event_id
            order by
                coalesce(revision, 0) desc, {{ adapter.quote('timestamp') }}, event_hash, received_at, batch_index,
                batch_id
        ) as event_id_rank
    from scoped
),

unique_event_ids as (
    select {{ star_except(['event_id_rank']) }}
    from ranked_by_event_id
    where event_id_rank = 1
),

with_previous_same_content as (
    select
        *,
        case
            when event_id_source = 'derived'
                then lag({{ adapter.quote('timestamp') }}) over (
                    partition by project_id, session_id, event_id_source, event_hash
                    order by {{ adapter.quote('timestamp') }}, event_id
                )
        end as previous_same_content_at
    from unique_event_ids
),

deduplicated as (
    select *
    from with_previous_same_content
    where
        previous_same_content_at is null
        or {{ timestamp_to_us(adapter.quote('timestamp')) }} - {{ timestamp_to_us('previous_same_content_at') }} > {{ dedupe_window_us() }}
),

final as (
    select
        project_id,
        event_id,
        session_id,
        event_type,
        source_type,
        {{ adapter.quote('timestamp') }},
        actor,
        file_path,
        message,
        error_type,
        severity,
        status,
        parent_id,
        trace_id,
        span_id,
        model,
        input_tokens,
        output_tokens,
        cost_usd,
        attributes,
        tool_name,
        action_kind,
        duration_ms,
        cache_read_tokens,
        cache_write_tokens,
        cache_write_1h_tokens,
        reasoning_tokens,
        parent_session_id,
        revision,
        event_hash,
        received_at,
        -- cast: row_number() is bigint on DuckDB, int on Spark
        cast(row_number() over (
            partition by project_id, session_id order by {{ adapter.quote('timestamp') }}, event_id
        ) as bigint) as event_seq
    from deduplicated
)

select * from final
