-- The normalized errors that are current deduplicated events (grain: session_id +
-- event_id): int_errors_normalized restricted to rows still present, unchanged, as
-- errors in `events`. The base of every error mart.
{{ config(materialized='view') }}

with

normalized as (
    select * from {{ ref('int_errors_normalized') }}
),

current_errors as (
    select session_id, event_id, event_hash, "timestamp"
    from {{ ref('events') }}
    where event_type = 'error'
),

final as (
    select
        normalized.event_id,
        normalized.session_id,
        normalized."timestamp",
        normalized.cluster_id,
        normalized.error_type,
        normalized.normalized_message,
        normalized.message
    from normalized
    inner join current_errors
        on
            normalized.session_id = current_errors.session_id
            and normalized.event_id = current_errors.event_id
            and normalized.event_hash = current_errors.event_hash
            and normalized."timestamp" = current_errors."timestamp"
)

select * from final
