-- One row per error event (grain: session_id + event_id) with its cluster.
-- Incremental by session (macros/incremental_sessions.sql): a run re-derives only
-- the sessions with new landing files.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_sessions() }}",
        post_hook="{{ record_build_scope() }}",
    )
}}
-- depends_on: {{ ref('landing_sessions') }}
{%- set sessions = changed_sessions() %}
with

occurrences as (
    {{ current_error_occurrences(sessions) }}
),

final as (
    select
        event_id,
        session_id,
        "timestamp",
        cluster_id,
        error_type,
        normalized_message
    from occurrences
)

select * from final
