-- Which change or action may have caused which failure (grain: correlation_id, i.e.
-- method + session + action + error). Three methods; each error has its own rank 1 per
-- method:
--   'change_set' and 'self': int_change_set_correlations (see there; the scoring rule
--   is in its header and docs/attribution.md), unioned in below;
--   'time_window' (the seed's first correlator), here:
--   an agent action (event_type 'agent_action', source_type 'agent') at most
--   correlation_window_s seconds before an error of the same session
--   (0 <= lag <= window, compared in exact microseconds);
--   confidence 0.7 when both name the same file, else 0.4. "Same file" means the
--   paths match on path boundaries (equal, or one ends with '/' + the other), or the
--   error's message or attributes.stack/stacktrace names the action's file as a whole
--   path (not followed by more path characters: a Grep of a directory whose name is a
--   prefix of the failing file's path is no match), and only for actions that can
--   change something: a read, search or web action is never "same file";
--   attribution_rank 1 = the action the error is attributed to: highest confidence,
--   then smallest lag, then action_event_id.
--
-- Join strategy: time buckets, not a per-session cross join. With W the window,
-- every timestamp gets bucket = floor(epoch_us / W). An action within W before an
-- error is in the error's bucket or the one before, so each action is listed under
-- its own bucket and the next one, and actions and errors meet in an equi hash join
-- on (session_id, bucket); the exact lag test then runs on the few candidates.
-- Work grows with (events + errors x actions per 2W of session time), i.e. linearly
-- in session length, where a session-level cross join grows with its square.
-- The `event_correlations` mart publishes it; int_agent_session_performance counts
-- the errors it attributes to each agent.
-- Incremental by session (macros/session_scoped_incremental.sql): a run re-derives
-- only the sessions with new landing files.
{%- set sessions = session_scoped_incremental() %}
with

events as (
    select * from {{ ref('int_events_deduplicated') }}
    where {{ in_sessions(sessions) }}
),

actions as (
    select
        project_id,
        session_id,
        event_id as action_event_id,
        coalesce(actor, 'unknown') as agent,
        file_path as action_file_path,
        coalesce(action_kind, '') in ('read', 'search', 'web') as observes_only,
        {{ adapter.quote('timestamp') }} as action_timestamp,
        {{ timestamp_to_us(adapter.quote('timestamp')) }} as action_us
    from events
    where event_type = 'agent_action' and source_type = 'agent'
),

action_buckets as (
    select
        actions.*,
        cast(floor(actions.action_us / {{ correlation_window_us() }}) as bigint)
        + bucket_shift.shift as bucket
    from actions
    cross join (values (0), (1)) as bucket_shift (shift)
),

errors as (
    select
        events.project_id,
        events.session_id,
        events.event_id as error_event_id,
        events.file_path as error_file_path,
        events.{{ adapter.quote('timestamp') }} as error_timestamp,
        {{ timestamp_to_us('events.' ~ adapter.quote('timestamp')) }} as error_us,
        coalesce(events.message, '') as error_message,
        coalesce({{ json_text('events.attributes', '$.stack') }}, '')
        || chr(10)
        || coalesce({{ json_text('events.attributes', '$.stacktrace') }}, '') as error_stack,
        cast(floor({{ timestamp_to_us('events.' ~ adapter.quote('timestamp')) }} / {{ correlation_window_us() }}) as bigint) as bucket
    from events
    where events.event_type = 'error'
),

error_clusters as (
    select project_id, session_id, event_id, cluster_id
    from ({{ current_error_occurrences(sessions) }}) as occurrences
),

candidates as (
    select
        errors.*,
        action_buckets.action_event_id,
        action_buckets.agent,
        action_buckets.action_file_path,
        action_buckets.observes_only,
        action_buckets.action_timestamp,
        errors.error_us - action_buckets.action_us as lag_us
    from errors
    inner join action_buckets
        on
            errors.project_id = action_buckets.project_id and errors.session_id = action_buckets.session_id
            and errors.bucket = action_buckets.bucket
    where
        errors.error_us - action_buckets.action_us between 0 and {{ correlation_window_us() }}
),

scored as (
    select
        *,
        coalesce(not observes_only and action_file_path <> '' and (
            replace(action_file_path, chr(92), '/') = replace(error_file_path, chr(92), '/')
            or {{ has_suffix("replace(action_file_path, chr(92), '/')", "'/' || replace(error_file_path, chr(92), '/')") }}
            or {{ has_suffix("replace(error_file_path, chr(92), '/')", "'/' || replace(action_file_path, chr(92), '/')") }}
            -- The pattern is built per row, so the engine compiles a regex per
            -- candidate: only where the path occurs in the text at all (on 209,212
            -- candidates of 64 busy sessions, 2.1 s against 0.2 s).
            or case
                when {{ dbt.position('action_file_path', 'error_message || chr(10) || error_stack') }} > 0
                    then {{ regexp_contains(
                        "error_message || chr(10) || error_stack",
                        "'(^|[^A-Za-z0-9_.~/\\\\-])' || " ~ regexp_literal('action_file_path')
                        ~ " || '($|[^A-Za-z0-9_~/\\\\-])'"
                    ) }}
                else false
            end
        ), false) as same_file
    from candidates
),

ranked as (
    select
        *,
        case when same_file then 0.7 else 0.4 end as confidence,
        row_number() over (
            partition by project_id, session_id, error_event_id
            order by same_file desc, lag_us asc, action_event_id asc
        ) as attribution_rank
    from scored
),

final as (
    select
        {{ dbt.hash(
            "'time_window' || '|' || " ~ qualified_session_id('ranked.')
            ~ " || '|' || ranked.action_event_id || '|' || ranked.error_event_id"
        ) }} as correlation_id,
        ranked.project_id,
        ranked.session_id,
        'time_window' as method,
        ranked.action_event_id,
        ranked.error_event_id,
        ranked.agent,
        ranked.action_file_path,
        ranked.error_file_path,
        error_clusters.cluster_id as error_cluster_id,
        ranked.action_timestamp,
        ranked.error_timestamp,
        cast(ranked.lag_us as double) / 1000000 as lag_s,
        ranked.same_file,
        cast(ranked.confidence as double) as confidence,
        cast(ranked.attribution_rank as bigint) as attribution_rank
    from ranked
    left join error_clusters
        on
            ranked.project_id = error_clusters.project_id and ranked.session_id = error_clusters.session_id
            and ranked.error_event_id = error_clusters.event_id
)

{#- By name, not `select *`: a table partitioned by session on Spark keeps its partition
    columns last, so the two sides' column orders may differ. -#}
{%- set columns = [
    'correlation_id', 'project_id', 'session_id', 'method', 'action_event_id',
    'error_event_id', 'agent', 'action_file_path', 'error_file_path', 'error_cluster_id',
    'action_timestamp', 'error_timestamp', 'lag_s', 'same_file', 'confidence',
    'attribution_rank',
] %}
select {{ columns | join(', ') }} from final
union all
select {{ columns | join(', ') }} from {{ ref('int_change_set_correlations') }}
where {{ in_sessions(sessions) }}
