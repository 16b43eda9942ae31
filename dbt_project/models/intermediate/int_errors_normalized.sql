-- Every error event with its normalized message and cluster key (grain: session_id +
-- event_id).
--   normalized_message = normalize_error_message(failure text), where the failure text
--                        is, for a failure under a test_run/check_run (parent_id = the
--                        run), its first non-blank line (the assertion or exception a
--                        runner prints; the test name is never part of the key), and
--                        the whole message for any other error;
--   cluster_id         = md5(error_type || '|' || normalized_message).
-- So the same exception raised by different tests, in different sessions, is one
-- cluster, while a tool's multi-line stderr keeps all its lines.
-- The regex chain in normalize_error_message is the costly step of the error path, so
-- this model is incremental by session (macros/session_scoped_incremental.sql): a run
-- normalizes only the errors of the sessions it re-derives.
{%- set sessions = session_scoped_incremental() %}
with

events as (
    select *
    from {{ ref('int_events_deduplicated') }}
    where {{ in_sessions(sessions) }}
),

errors as (
    select * from events where event_type = 'error'
),

runs as (
    select project_id, session_id, event_id as run_id
    from events
    where event_type in ('test_run', 'check_run')
),

failure_text as (
    select
        errors.*,
        case
            when runs.run_id is not null then {{ first_failure_line('errors.message') }}
            else errors.message
        end as failure_text
    from errors
    left join runs
        on errors.project_id = runs.project_id and errors.session_id = runs.session_id and errors.parent_id = runs.run_id
),

normalized as (
    select
        project_id,
        session_id,
        event_id,
        {{ adapter.quote('timestamp') }},
        received_at,
        event_hash,
        error_type,
        message,
        {{ normalize_error_message('failure_text') }} as normalized_message
    from failure_text
),

final as (
    select
        project_id,
        session_id,
        event_id,
        {{ adapter.quote('timestamp') }},
        received_at,
        event_hash,
        error_type,
        message,
        normalized_message,
        {{ dbt.hash("coalesce(error_type, '') || '|' || normalized_message") }} as cluster_id
    from normalized
)

select * from final
