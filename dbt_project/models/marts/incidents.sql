-- One row per incident (grain: incident_id, unique across projects), from
-- incident_members: its project, its kind,
-- its primary member (highest severity, then earliest), its span and its state.
-- An alert incident is resolved once every alert in it is resolved; error
-- incidents carry no resolution signal and stay open.
with

members as (
    select * from {{ ref('incident_members') }}
),

rolled as (
    select
        project_id,
        incident_id,
        min(incident_kind) as kind,
        min(occurred_at) as opened_at,
        max(occurred_at) as last_seen_at,
        max(resolved_at) as last_resolved_at,
        sum(case when status = 'resolved' then 0 else 1 end) as open_members,
        count(*) as member_count,
        count(distinct session_id) as session_count,
        min(group_key) as group_key
    from members
    group by project_id, incident_id
),

primary_member as (
    select * from members where is_primary
),

final as (
    select
        rolled.project_id,
        rolled.incident_id,
        rolled.kind,
        case when rolled.kind = 'alert_group' then 'alertmanager' else 'sentry' end as source,
        primary_member.title,
        primary_member.message as summary,
        primary_member.severity,
        case when rolled.open_members = 0 then 'resolved' else 'open' end as status,
        rolled.opened_at,
        rolled.last_seen_at,
        case when rolled.open_members = 0 then rolled.last_resolved_at end as closed_at,
        rolled.member_count,
        rolled.session_count,
        rolled.group_key,
        primary_member.event_id as primary_event_id,
        primary_member.session_id as primary_session_id,
        primary_member.member_key as primary_member_key
    from rolled
    inner join primary_member
        on primary_member.incident_id = rolled.incident_id
)

select * from final
