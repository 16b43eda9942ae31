-- Which change caused which failure: the correlators that look past a time window
-- (grain: correlation_id = md5(method | session | action | outcome)). Two methods:
--
-- method 'change_set': the outcomes are failing test_runs and check_runs (status failed
-- or error) and the error events under them (parent_id = the run); error_event_id is
-- the run's or the error's event id. The candidate causes are the changes made since
-- the run's scope last passed:
--   * a change is an `edit` (status ok: a failed edit changed nothing) or a `command`
--     whose attributes say writes = true (installs, migrations, git operations that
--     change the tree); reads, searches and web fetches never are;
--   * a run's scope is its runner plus its targets (attributes.targets, the paths it
--     names; "?x" = a filter). The scope last passed at the latest of: a passing run
--     of the same runner over the whole suite (no targets); a passing run with the
--     very same targets; the oldest of the last passes of each of its paths by
--     unfiltered passing runs of the same runner. A run without a `targets` attribute
--     covers the whole suite. With no pass before, every change of the session so far
--     is a candidate.
-- Evidence and confidence, best first (one row per outcome and change, its best
-- evidence):
--   0.9  the failure names the changed file: the error's file_path, or a path in its
--        message, attributes.stack/stacktrace or test_id (for a run: in any of its
--        errors); paths match on path boundaries (equal, or one ends with '/' + the
--        other: edits carry absolute paths, runners print relative ones), never as a
--        bare substring; the candidate is the last change of that file
--   0.8  the run names the changed file among its targets (the test file it ran)
--   0.7  module match: a test file the failure or run names (a_test.exs, test_a.py,
--        a.test.ts, a_test.go, a_spec.rb) and the changed file share the module stem (a)
--   0.4  the latest change before the run, with none of the above
-- attribution_rank 1 = highest confidence, then the most recent change, then
-- action_event_id. Changes that name no file the failure names and are not the
-- latest are not listed: they carry no evidence, and listing every change since the
-- last pass for every failure would grow with changes x failures.
--
-- method 'self': an error whose parent is the tool call itself (parent_id = an
-- agent_action that is no run: a Read of a missing file, an Edit whose old string is
-- not found, `git push` without upstream) is attributed to that call, rank 1;
-- confidence 0.9 for non-command tools (the call's own input is the cause), 0.6 for
-- commands (a command can also fail because of an earlier change; this rule does not
-- look).
--
-- Work stays linear in a session's length: the last pass per scope is a running max
-- over the runs partitioned by (session, runner, scope key); the latest change before
-- each run is a running max over the session's stream; file matches are one hash join
-- on (session, file name or module stem), so only changes of a file the failure names
-- meet it. Each CTE is read once where it can be: Spark inlines a CTE at every
-- reference, and an earlier version that read its CTEs up to five times each made a
-- 26 MB plan and took 93-150 s on Spark for 5,000 events.
-- Incremental by session (macros/session_scoped_incremental.sql);
-- int_action_error_correlations unions these rows with its time_window rows.
{%- set sessions = session_scoped_incremental() %}
with

events as (
    select * from {{ ref('int_events_deduplicated') }}
    where {{ in_sessions(sessions) }}
),

runs as (
    select
        project_id,
        session_id,
        event_id as run_id,
        status,
        {{ adapter.quote('timestamp') }} as run_at,
        {{ timestamp_to_us(adapter.quote('timestamp')) }} as run_us,
        coalesce({{ json_text('attributes', '$.runner') }}, event_type) as runner,
        coalesce({{ json_string_list('attributes', '$.targets') }}, {{ empty_string_list() }}) as targets
    from events
    where event_type in ('test_run', 'check_run') and status in ('passed', 'failed', 'error')
),

run_targets as (
    select distinct
        project_id,
        session_id,
        run_id,
        {{ unnest_list('targets') }} as target
    from runs
),

-- each run with each of its targets (one row with no target when it has none), and how
-- many of its targets are paths and filters
run_target_rows as (
    select
        runs.project_id,
        runs.session_id,
        runs.run_id,
        runs.status,
        runs.run_at,
        runs.run_us,
        runs.runner,
        runs.targets,
        run_targets.target,
        sum(case when run_targets.target is null or run_targets.target like '?%' then 0 else 1 end) over (
            partition by runs.project_id, runs.session_id, runs.run_id
        ) as path_targets,
        sum(case when run_targets.target like '?%' then 1 else 0 end) over (
            partition by runs.project_id, runs.session_id, runs.run_id
        ) as filters,
        row_number() over (
            partition by runs.project_id, runs.session_id, runs.run_id order by run_targets.target
        ) as target_rank
    from runs
    left join run_targets
        on runs.project_id = run_targets.project_id and runs.session_id = run_targets.session_id and runs.run_id = run_targets.run_id
),

-- every run is a row under each scope key it belongs to; `clears` = it passed there
-- (the kinds table makes the three kinds of row from one reference to the runs)
scope_kinds as (
    select 'all' as kind
    union all
    select 'exact' as kind
    union all
    select 'path' as kind
),

scope_rows as (
    select
        run_target_rows.project_id,
        run_target_rows.session_id,
        run_target_rows.run_id,
        run_target_rows.run_at,
        run_target_rows.run_us,
        run_target_rows.runner,
        run_target_rows.status,
        run_target_rows.path_targets,
        case
            when scope_kinds.kind = 'all' then 'all'
            when scope_kinds.kind = 'exact' then 'exact|' || {{ join_list('run_target_rows.targets', ' ') }}
            else 'path|' || run_target_rows.target
        end as scope_key,
        case
            when scope_kinds.kind = 'all'
                then
                    run_target_rows.status = 'passed'
                    and run_target_rows.path_targets = 0 and run_target_rows.filters = 0
            when scope_kinds.kind = 'exact' then run_target_rows.status = 'passed'
            else run_target_rows.status = 'passed' and run_target_rows.filters = 0
        end as clears
    from run_target_rows
    cross join scope_kinds
    where
        (scope_kinds.kind <> 'path' and run_target_rows.target_rank = 1)
        or (scope_kinds.kind = 'path' and run_target_rows.target not like '?%')
),

scope_passes as (
    select
        *,
        max(case when clears then run_us end) over (
            partition by project_id, session_id, runner, scope_key
            order by run_us, run_id
            rows between unbounded preceding and 1 preceding
        ) as last_pass_us
    from scope_rows
),

-- each failing run and when its scope last passed (-1: never)
scoped_failures as (
    select
        project_id,
        session_id,
        run_id,
        run_at,
        run_us,
        greatest(
            coalesce(max(case when scope_key = 'all' then last_pass_us end), -1),
            coalesce(max(case when scope_key like 'exact|%' then last_pass_us end), -1),
            case
                when
                    path_targets > 0
                    and count(case when scope_key like 'path|%' then last_pass_us end) = path_targets
                    then min(case when scope_key like 'path|%' then last_pass_us end)
                else -1
            end
        ) as cleared_us
    from scope_passes
    where status in ('failed', 'error')
    group by project_id, session_id, run_id, run_at, run_us, path_targets
),

-- the outcomes to explain: each failing run and each error under it (the run's row has
-- no error: the left join only matches on the 'error' side)
outcome_sides as (
    select 'run' as side
    union all
    select 'error' as side
),

outcomes as (
    select
        scoped_failures.project_id,
        scoped_failures.session_id,
        scoped_failures.run_id,
        coalesce(errors.event_id, scoped_failures.run_id) as outcome_id,
        coalesce(errors.{{ adapter.quote('timestamp') }}, scoped_failures.run_at) as outcome_at,
        scoped_failures.run_us,
        scoped_failures.cleared_us,
        errors.file_path as outcome_file_path,
        errors.message as outcome_message,
        errors.attributes as outcome_attributes
    from scoped_failures
    cross join outcome_sides
    left join events as errors
        on
            outcome_sides.side = 'error'
            and scoped_failures.project_id = errors.project_id and scoped_failures.session_id = errors.session_id
            and scoped_failures.run_id = errors.parent_id
            and errors.event_type = 'error'
    where outcome_sides.side = 'run' or errors.event_id is not null
),

changes as (
    select
        project_id,
        session_id,
        event_id as change_id,
        coalesce(actor, 'unknown') as agent,
        file_path,
        attributes,
        {{ adapter.quote('timestamp') }} as change_at,
        {{ timestamp_to_us(adapter.quote('timestamp')) }} as change_us
    from events
    where
        event_type in ('agent_action', 'human_action')
        and coalesce(status, 'ok') = 'ok'
        and (
            action_kind = 'edit'
            or (action_kind = 'command' and {{ json_text('attributes', '$.writes') }} = 'true')
        )
),

change_file_list as (
    select project_id, session_id, change_id, change_us, file_path as path
    from changes
    where coalesce(file_path, '') <> ''
    union
    select project_id, session_id, change_id, change_us, {{ unnest_list(json_string_list('attributes', '$.files')) }} as path
    from changes
),

change_paths as (
    select project_id, session_id, change_id, change_us, {{ clean_path('path') }} as clean_path
    from change_file_list
),

change_files as (
    select
        *,
        {{ file_name('clean_path') }} as file_name,
        {{ module_stem(file_name('clean_path')) }} as stem
    from change_paths
),

-- every path a failure names: 'named' from the error itself, 'target' from its run
{%- set failure_text -%}
    outcome_message
    || chr(10) || coalesce({{ json_text('outcome_attributes', '$.stack') }}, '')
    || chr(10) || coalesce({{ json_text('outcome_attributes', '$.stacktrace') }}, '')
    || chr(10) || coalesce({{ json_text('outcome_attributes', '$.test_id') }}, '')
{%- endset %}
error_paths as (
    select
        project_id,
        session_id,
        run_id,
        outcome_id as event_id,
        {{ unnest_list(concat_lists(list_of('outcome_file_path'), extract_file_paths(failure_text))) }}
            as path
    from outcomes
    where outcome_id <> run_id
),

mention_list as (
    -- an error names its paths; its run names them too
    select
        error_paths.project_id,
        error_paths.session_id,
        error_paths.run_id,
        case when outcome_sides.side = 'error' then error_paths.event_id else error_paths.run_id end
            as outcome_id,
        error_paths.path,
        'named' as how
    from error_paths
    cross join outcome_sides
    -- a run names its targets, for itself and for each of its errors (no outcome_id:
    -- every outcome of the run)
    union all
    select project_id, session_id, run_id, cast(null as {{ dbt.type_string() }}), target, 'target' as how
    from run_targets
    where target not like '?%'
),

mention_paths as (
    select distinct project_id, session_id, run_id, outcome_id, how, {{ clean_path('path') }} as clean_path
    from mention_list
    where coalesce(path, '') <> ''
),

mentions as (
    select
        *,
        {{ file_name('clean_path') }} as file_name,
        {{ module_stem(file_name('clean_path')) }} as stem,
        -- a test file: stripping the test affixes changed its name
        {{ module_stem(file_name('clean_path')) }} <> {{ file_base(file_name('clean_path')) }}
            as is_test_file
    from mention_paths
),

-- a mention meets a change by file name (0.9 named, 0.8 a target) or, for a test file,
-- by module stem (0.7); each side gets a row per key it has, so one join does both
match_keys as (
    select 'name' as key_kind
    union all
    select 'stem' as key_kind
),

mention_keys as (
    select
        mentions.*,
        match_keys.key_kind,
        case when match_keys.key_kind = 'name' then mentions.file_name else mentions.stem end as match_key
    from mentions
    cross join match_keys
    where match_keys.key_kind = 'name' or mentions.is_test_file
),

change_keys as (
    select
        change_files.*,
        match_keys.key_kind,
        case when match_keys.key_kind = 'name' then change_files.file_name else change_files.stem end
            as match_key
    from change_files
    cross join match_keys
    where match_keys.key_kind = 'name' or change_files.stem <> ''
),

key_matches as (
    select
        outcomes.project_id,
        outcomes.session_id,
        outcomes.outcome_id,
        outcomes.outcome_at,
        outcomes.outcome_file_path,
        change_keys.change_id,
        change_keys.clean_path as matched_path,
        case
            when mention_keys.key_kind = 'stem' then 0.7
            when mention_keys.how = 'named' then 0.9
            else 0.8
        end as confidence,
        change_keys.change_us
    from outcomes
    inner join mention_keys
        on
            outcomes.project_id = mention_keys.project_id and outcomes.session_id = mention_keys.session_id
            and outcomes.run_id = mention_keys.run_id
            and (mention_keys.outcome_id is null or outcomes.outcome_id = mention_keys.outcome_id)
    inner join change_keys
        on
            mention_keys.project_id = change_keys.project_id and mention_keys.session_id = change_keys.session_id
            and mention_keys.key_kind = change_keys.key_kind and mention_keys.match_key = change_keys.match_key
    where
        change_keys.change_us < outcomes.run_us
        and change_keys.change_us > outcomes.cleared_us
        and (
            (
                mention_keys.key_kind = 'name'
                and (
                    change_keys.clean_path = mention_keys.clean_path
                    or {{ has_suffix('change_keys.clean_path', "'/' || mention_keys.clean_path") }}
                    or {{ has_suffix('mention_keys.clean_path', "'/' || change_keys.clean_path") }}
                )
            )
            or (mention_keys.key_kind = 'stem' and mention_keys.file_name <> change_keys.file_name)
        )
),

-- the last change of each file a failure names (or whose module it tests)
file_matches as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by project_id, session_id, outcome_id, matched_path
                order by change_us desc, change_id desc, confidence desc
            ) as recency
        from key_matches
    ) as ordered
    where recency = 1
),

-- the latest change before each failing run: a running max over the session's stream
stream as (
    select
        project_id, session_id, run_us as at_us, 0 as kind, run_id as item_id,
        cast(null as bigint) as change_seq
    from scoped_failures
    union all
    select
        project_id, session_id, change_us, 1, change_id,
        row_number() over (partition by project_id, session_id order by change_us, change_id)
    from changes
),

latest_before as (
    select
        project_id,
        session_id,
        item_id as run_id,
        max(change_seq) over (
            partition by project_id, session_id order by at_us, kind, item_id
            rows between unbounded preceding and current row
        ) as last_change_seq,
        kind
    from stream
),

numbered_changes as (
    select
        *,
        row_number() over (partition by project_id, session_id order by change_us, change_id) as change_seq
    from changes
),

latest_matches as (
    select
        outcomes.project_id,
        outcomes.session_id,
        outcomes.outcome_id,
        outcomes.outcome_at,
        outcomes.outcome_file_path,
        numbered_changes.change_id,
        cast(null as {{ dbt.type_string() }}) as matched_path,
        0.4 as confidence,
        numbered_changes.change_us
    from outcomes
    inner join latest_before
        on outcomes.project_id = latest_before.project_id and outcomes.session_id = latest_before.session_id and outcomes.run_id = latest_before.run_id
    inner join numbered_changes
        on
            latest_before.project_id = numbered_changes.project_id and latest_before.session_id = numbered_changes.session_id
            and latest_before.last_change_seq = numbered_changes.change_seq
    where latest_before.kind = 0 and numbered_changes.change_us > outcomes.cleared_us
),

-- an outcome's time and file ride along (one value per outcome), so the rows below
-- need no second reference to outcomes
candidates as (
    select
        project_id, session_id, outcome_id, outcome_at, outcome_file_path, change_id,
        max(confidence) as confidence
    from (
        select project_id, session_id, outcome_id, outcome_at, outcome_file_path, change_id, confidence
        from file_matches
        union all
        select project_id, session_id, outcome_id, outcome_at, outcome_file_path, change_id, confidence
        from latest_matches
    ) as all_candidates
    group by project_id, session_id, outcome_id, outcome_at, outcome_file_path, change_id
),

change_set_rows as (
    select
        'change_set' as method,
        candidates.project_id,
        candidates.session_id,
        candidates.change_id as action_event_id,
        candidates.outcome_id as error_event_id,
        changes.agent,
        changes.file_path as action_file_path,
        candidates.outcome_file_path as error_file_path,
        changes.change_at as action_timestamp,
        candidates.outcome_at as error_timestamp,
        {{ timestamp_to_us('candidates.outcome_at') }} - changes.change_us as lag_us,
        candidates.confidence >= 0.8 as same_file,
        cast(candidates.confidence as double) as confidence,
        row_number() over (
            partition by candidates.project_id, candidates.session_id, candidates.outcome_id
            order by candidates.confidence desc, changes.change_us desc, candidates.change_id desc
        ) as attribution_rank
    from candidates
    inner join changes
        on candidates.project_id = changes.project_id and candidates.session_id = changes.session_id and candidates.change_id = changes.change_id
),

self_rows as (
    select
        'self' as method,
        errors.project_id,
        errors.session_id,
        calls.event_id as action_event_id,
        errors.event_id as error_event_id,
        coalesce(calls.actor, 'unknown') as agent,
        calls.file_path as action_file_path,
        errors.file_path as error_file_path,
        calls.{{ adapter.quote('timestamp') }} as action_timestamp,
        errors.{{ adapter.quote('timestamp') }} as error_timestamp,
        {{ timestamp_to_us('errors.' ~ adapter.quote('timestamp')) }} - {{ timestamp_to_us('calls.' ~ adapter.quote('timestamp')) }}
            as lag_us,
        coalesce(calls.file_path, '') <> '' as same_file,
        cast(case when calls.action_kind = 'command' then 0.6 else 0.9 end as double) as confidence,
        cast(1 as bigint) as attribution_rank
    from events as errors
    inner join events as calls
        on errors.project_id = calls.project_id and errors.session_id = calls.session_id and errors.parent_id = calls.event_id
    where
        errors.event_type = 'error'
        and calls.event_type in ('agent_action', 'human_action')
),

error_clusters as (
    select project_id, session_id, event_id, cluster_id
    from ({{ current_error_occurrences(sessions) }}) as occurrences
),

unioned as (
    select * from change_set_rows
    union all
    select * from self_rows
),

final as (
    select
        {{ dbt.hash(
            "unioned.method || '|' || " ~ qualified_session_id('unioned.')
            ~ " || '|' || unioned.action_event_id || '|' || unioned.error_event_id"
        ) }} as correlation_id,
        unioned.project_id,
        unioned.session_id,
        unioned.method,
        unioned.action_event_id,
        unioned.error_event_id,
        unioned.agent,
        unioned.action_file_path,
        unioned.error_file_path,
        error_clusters.cluster_id as error_cluster_id,
        unioned.action_timestamp,
        unioned.error_timestamp,
        cast(unioned.lag_us as double) / 1000000 as lag_s,
        unioned.same_file,
        unioned.confidence,
        cast(unioned.attribution_rank as bigint) as attribution_rank
    from unioned
    left join error_clusters
        on
            unioned.project_id = error_clusters.project_id and unioned.session_id = error_clusters.session_id
            and unioned.error_event_id = error_clusters.event_id
)

select * from final
