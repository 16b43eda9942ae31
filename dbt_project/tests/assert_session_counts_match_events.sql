{{ config(meta={"dagster": {"ref": {"name": "sessions"}}}) }}
-- sessions.event_count and error_count agree with the events mart.
with

expected as (
    select
        project_id,
        session_id,
        count(*) filter (where event_type not in ('session_start', 'session_end')) as event_count,
        count(*) filter (where event_type = 'error') as error_count
    from {{ ref('events') }}
    where {{ scope_filter(ref('sessions')) }}
    group by project_id, session_id
),

final as (
    select expected.*, sessions.event_count as mart_event_count, sessions.error_count as mart_error_count
    from expected
    full outer join {{ scoped(ref('sessions'), 'sessions') }}
        on expected.project_id = sessions.project_id and expected.session_id = sessions.session_id
    where
        expected.event_count is distinct from sessions.event_count
        or expected.error_count is distinct from sessions.error_count
)

select * from final
