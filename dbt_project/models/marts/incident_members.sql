-- What each incident is made of (grain: incident_id + event_id): its alerts, or
-- for error incidents the Sentry errors of the cluster in the incident's window.
--
-- Alert incidents: alert instances sharing (alertname, service, namespace, cluster)
-- chain into one incident while each fires within incident_window_s of the reach
-- (resolution, else firing time) of the group's earlier alerts. The primary alert
-- is the highest severity, then the earliest.
--
-- Error incidents (Sentry errors, source_type external, clusters of error_occurrences):
--   novelty: the first occurrence of a cluster never seen before, with the
--            cluster's occurrences in the following incident_window_s;
--   spike:   an hour in which a cluster occurs at least spike_min_count times and
--            at least spike_factor times its own hourly rate over the previous
--            spike_baseline_hours (the hour it first appeared is novelty, not a spike).
-- Everything is a function of the events alone, so replaying them gives the same
-- incidents and ids. An incident never spans projects: the group keys (alert groups,
-- Sentry clusters) are project-qualified ('<project>/' prefix outside project default,
-- macros/projects.sql), and so are the incident ids hashed from them.
with

alerts as (
    select * from {{ ref('int_alert_instances') }}
),

alert_reach as (
    select
        *,
        {{ qualified_in_project(dbt.concat(['alertname', "'|'", 'service', "'|'", 'namespace', "'|'", 'cluster'])) }}
            as group_key,
        max(coalesce(resolved_at, fired_at)) over (
            partition by project_id, alertname, service, namespace, cluster
            order by fired_at, alert_id
            rows between unbounded preceding and 1 preceding
        ) as previous_reach
    from alerts
),

alert_starts as (
    select
        *,
        case
            when previous_reach is null then 1
            when {{ dbt.datediff('previous_reach', 'fired_at', 'second') }}
                > {{ var('incident_window_s') }} then 1
            else 0
        end as starts_incident
    from alert_reach
),

alert_numbered as (
    select
        *,
        sum(starts_incident) over (
            partition by group_key
            order by fired_at, alert_id
            rows between unbounded preceding and current row
        ) as incident_seq
    from alert_starts
),

alert_grouped as (
    select
        *,
        first_value(alert_id) over (
            partition by group_key, incident_seq
            order by fired_at, alert_id
            rows between unbounded preceding and unbounded following
        ) as first_alert_id
    from alert_numbered
),

alert_members as (
    select
        {{ dbt.concat(["'inc-'", dbt.hash(dbt.concat(['group_key', "'|'", 'first_alert_id']))]) }}
            as incident_id,
        'alert_group' as incident_kind,
        first_event_id as event_id,
        project_id,
        session_id,
        alert_id as member_key,
        'alert' as member_type,
        alertname as title,
        severity,
        severity_rank,
        status,
        fired_at as occurred_at,
        resolved_at,
        message,
        attributes,
        group_key
    from alert_grouped
),

sentry_errors as (
    select
        occurrences.event_id,
        occurrences.project_id,
        occurrences.session_id,
        {{ qualified_in_project('occurrences.cluster_id', 'occurrences.') }} as cluster_id,
        occurrences.{{ adapter.quote('timestamp') }} as occurred_at,
        events.error_type,
        events.severity,
        events.message,
        events.attributes,
        {{ dbt.date_trunc('hour', 'occurrences.' ~ adapter.quote('timestamp')) }} as hour_at
    from {{ ref('error_occurrences') }} as occurrences
    inner join {{ ref('events') }} as events
        on events.project_id = occurrences.project_id and events.session_id = occurrences.session_id
        and events.event_id = occurrences.event_id
    where events.source_type = 'external'
        and {{ json_text('events.attributes', '$.sentry_project') }} is not null
),

first_seen as (
    select
        cluster_id,
        min(occurred_at) as first_seen_at
    from sentry_errors
    group by cluster_id
),

novelty_members as (
    select
        {{ dbt.concat(["'inc-'", dbt.hash(dbt.concat(["'novelty|'", 'sentry_errors.cluster_id']))]) }}
            as incident_id,
        'new_error' as incident_kind,
        sentry_errors.*
    from sentry_errors
    inner join first_seen
        on first_seen.cluster_id = sentry_errors.cluster_id
    where {{ dbt.datediff('first_seen.first_seen_at', 'sentry_errors.occurred_at', 'second') }}
        <= {{ var('incident_window_s') }}
),

hourly as (
    select
        cluster_id,
        hour_at,
        count(*) as occurrences
    from sentry_errors
    group by cluster_id, hour_at
),

baselines as (
    select
        current_hour.cluster_id,
        current_hour.hour_at,
        current_hour.occurrences,
        coalesce(sum(earlier.occurrences), 0) as baseline_occurrences
    from hourly as current_hour
    left join hourly as earlier
        on earlier.cluster_id = current_hour.cluster_id
        and earlier.hour_at < current_hour.hour_at
        and earlier.hour_at >= {{ dbt.dateadd('hour', -var('spike_baseline_hours'), 'current_hour.hour_at') }}
    group by current_hour.cluster_id, current_hour.hour_at, current_hour.occurrences
),

spikes as (
    select baselines.*
    from baselines
    inner join first_seen
        on first_seen.cluster_id = baselines.cluster_id
    where baselines.occurrences >= {{ var('spike_min_count') }}
        and baselines.hour_at > {{ dbt.date_trunc('hour', 'first_seen.first_seen_at') }}
        and cast(baselines.occurrences as double) >= {{ var('spike_factor') }}
            * cast(baselines.baseline_occurrences as double) / {{ var('spike_baseline_hours') }}
),

spike_members as (
    select
        {{ dbt.concat(["'inc-'", dbt.hash(dbt.concat(["'spike|'", 'sentry_errors.cluster_id', "'|'", dbt.cast('sentry_errors.hour_at', dbt.type_string())]))]) }}
            as incident_id,
        'error_spike' as incident_kind,
        sentry_errors.*
    from sentry_errors
    inner join spikes
        on spikes.cluster_id = sentry_errors.cluster_id
        and spikes.hour_at = sentry_errors.hour_at
),

error_members as (
    select * from novelty_members
    union all
    select * from spike_members
),

final as (
    select
        incident_id,
        incident_kind,
        event_id,
        project_id,
        session_id,
        member_key,
        member_type,
        title,
        severity,
        severity_rank,
        status,
        occurred_at,
        resolved_at,
        message,
        attributes,
        group_key
    from alert_members
    union all
    select
        incident_id,
        incident_kind,
        event_id,
        project_id,
        session_id,
        event_id as member_key,
        'error' as member_type,
        error_type as title,
        severity,
        {{ severity_rank('severity') }} as severity_rank,
        'open' as status,
        occurred_at,
        {{ text_to_timestamp('null') }} as resolved_at,
        message,
        attributes,
        cluster_id as group_key
    from error_members
)

select
    *,
    row_number() over (
        partition by incident_id
        order by severity_rank desc, occurred_at, member_key
    ) = 1 as is_primary
from final
