-- One row per deduplicated event (grain: session_id + event_id), with event_seq, its
-- 1-based position in the session by (timestamp, event_id). The dedupe and the
-- sequencing are int_events_deduplicated's (see there); this view publishes them.
{{ session_scoped_view('int_events_deduplicated') }}
with

deduplicated as (
    select * from {{ ref('int_events_deduplicated') }}
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
        event_seq
    from deduplicated
)

select * from final
