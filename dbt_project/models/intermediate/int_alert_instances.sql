-- One row per alert instance (grain: alert_id): an Alertmanager alert from its
-- firing to its resolution. Alertmanager identifies an alert by its label
-- fingerprint; a re-fire after resolution has a new startsAt, so the instance is
-- (project_id, fingerprint, starts_at): two projects' alerts never merge. A resolved notification closes its instance.
-- Labels and annotations come from the newest notification of the instance.
with

alert_events as (
    select
        event_id,
        project_id,
        session_id,
        {{ adapter.quote('timestamp') }} as event_at,
        status,
        severity,
        error_type as alertname,
        message,
        attributes,
        {{ json_text('attributes', '$.fingerprint') }} as fingerprint,
        {{ json_text('attributes', '$.starts_at') }} as starts_at_text
    from {{ ref('int_events_deduplicated') }}
    where event_type = 'alert'
),

ranked as (
    select
        *,
        row_number() over (
            partition by project_id, fingerprint, starts_at_text
            order by event_at desc, event_id
        ) as newest_first
    from alert_events
    where fingerprint is not null and starts_at_text is not null
),

instances as (
    select
        project_id,
        fingerprint,
        starts_at_text,
        max(case when status = 'resolved' then event_at end) as resolved_at,
        min(case when status = 'firing' then event_id end) as firing_event_id,
        min(case when status = 'resolved' then event_id end) as resolved_event_id
    from alert_events
    where fingerprint is not null and starts_at_text is not null
    group by project_id, fingerprint, starts_at_text
),

final as (
    select
        {{ dbt.concat(["'al-'", dbt.hash(qualified_in_project(dbt.concat(['instances.fingerprint', "'|'", 'instances.starts_at_text']), 'instances.'))]) }}
            as alert_id,
        instances.fingerprint,
        newest.alertname,
        newest.severity,
        {{ severity_rank('newest.severity') }} as severity_rank,
        newest.message,
        case when instances.resolved_at is null then 'firing' else 'resolved' end as status,
        {{ text_to_timestamp('instances.starts_at_text') }} as fired_at,
        instances.resolved_at,
        coalesce({{ json_text('newest.attributes', '$.labels.service') }}, '') as service,
        coalesce({{ json_text('newest.attributes', '$.labels.namespace') }}, '') as namespace,
        coalesce({{ json_text('newest.attributes', '$.labels.cluster') }}, '') as cluster,
        {{ json_text('newest.attributes', '$.labels.severity') }} as severity_label,
        newest.attributes,
        instances.project_id,
        newest.session_id,
        coalesce(instances.firing_event_id, instances.resolved_event_id) as first_event_id,
        instances.resolved_event_id
    from instances
    inner join ranked as newest
        on newest.project_id = instances.project_id
        and newest.fingerprint = instances.fingerprint
        and newest.starts_at_text = instances.starts_at_text
        and newest.newest_first = 1
)

select * from final
