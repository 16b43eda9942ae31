-- The dedupe rule holds in the mart: no two kept derived-id events of one session
-- share an event_hash with timestamps at most dedupe_window_s apart.
-- (`events` keeps no event_id_source, so derived ids are recognised by their 'h-'
-- prefix, which contract.derived_event_id always writes.)
with

derived as (
    select
        project_id,
        session_id,
        event_id,
        event_hash,
        {{ adapter.quote('timestamp') }},
        lag({{ adapter.quote('timestamp') }}) over (
            partition by project_id, session_id, event_hash order by {{ adapter.quote('timestamp') }}, event_id
        ) as previous_at
    from {{ scoped(ref('events')) }}
    where event_id like 'h-%'
),

final as (
    select * from derived
    where {{ timestamp_to_us(adapter.quote('timestamp')) }} - {{ timestamp_to_us('previous_at') }} <= {{ dedupe_window_us() }}
)

select * from final
