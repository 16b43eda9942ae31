-- The limit for `build.hand_sql_s`: one DuckDB SQL script, no dbt, no Dagster, that
-- computes the same marts as dbt_project/ (events, sessions, error_clusters,
-- session_error_clusters, error_occurrences, event_correlations, agent_performance)
-- from the same landing files. benchmarks/bench.py runs it on a fresh DuckDB file
-- and checks, table by table, that its rows equal the dbt marts (EXCEPT ALL both
-- ways, every column). Placeholders (plain text substitution): {landing_glob}, {dedupe_window_us},
-- {correlation_window_us}.
--
-- A session is (project_id, session_id): the project comes from the landing folder
-- (`events/` is project default, `events.<p>/` project p), and every per-session key
-- below carries it.
--
-- Where it is cheaper than the dbt models, and why that is allowed:
--  * the landing zone is read once, into a temp table, not once per model/test;
--  * rule 1 of the dedup (same session_id + event_id) ranks only the rows whose
--    key occurs more than once (a hash aggregate finds them); rule 2 (derived ids,
--    same content within the window) runs its lag() only over the (session_id,
--    event_hash) groups with more than one row. Same rows kept as the window
--    functions over everything;
--  * the regex chain of normalize_error_message runs once per distinct message;
--  * "first occurrence" columns are arg_min over a struct (one hash aggregate)
--    instead of row_number() + self join;
--  * no ORDER BY on the tables: row order is not part of the contract (publish
--    orders every table when it copies it into the snapshot).
-- The normalize expression is the rendering of macros/normalize_error_message.sql
-- (dbt compile); the bench's equality check catches any drift.

SET TimeZone = 'UTC';

CREATE TEMP TABLE landed AS
SELECT
    coalesce(nullif(substr(parse_filename(parse_dirpath(parse_dirpath(filename))), 8), ''),
        'default') AS project_id,
    event_id, event_id_source, session_id, event_type, source_type, "timestamp",
    actor, file_path, message, error_type, severity, status, parent_id, trace_id,
    span_id, model, input_tokens, output_tokens, cost_usd, attributes, tool_name,
    action_kind, duration_ms, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
    reasoning_tokens, parent_session_id, revision, event_hash, received_at, batch_id,
    batch_index
FROM read_parquet('{landing_glob}', union_by_name = true, filename = true);

-- The dedupe (tests/test_dedupe_parity.py holds it to dbt's int_events_deduplicated).
-- Rule 1: one row per (session_id, event_id), the lowest (timestamp, event_hash,
-- received_at, batch_index, batch_id).
CREATE TEMP TABLE repeated_ids AS
SELECT project_id, session_id, event_id FROM landed GROUP BY ALL HAVING count(*) > 1;

CREATE TEMP TABLE unique_ids AS
SELECT * FROM landed ANTI JOIN repeated_ids USING (project_id, session_id, event_id)
UNION ALL
SELECT * FROM (
    SELECT landed.* FROM landed SEMI JOIN repeated_ids USING (project_id, session_id, event_id)
) QUALIFY row_number() OVER (
    PARTITION BY project_id, session_id, event_id
    ORDER BY coalesce(revision, 0) DESC, "timestamp", event_hash, received_at, batch_index,
        batch_id) = 1;

-- Rule 2: derived ids, same (session_id, event_hash), chained within the window.
CREATE TEMP TABLE repeated_content AS
SELECT project_id, session_id, event_hash FROM unique_ids
WHERE event_id_source = 'derived' GROUP BY ALL HAVING count(*) > 1;

CREATE TEMP TABLE retry_duplicates AS
SELECT project_id, session_id, event_id FROM (
    SELECT project_id, session_id, event_id, "timestamp",
        lag("timestamp") OVER (
            PARTITION BY project_id, session_id, event_hash ORDER BY "timestamp", event_id) AS prev
    FROM unique_ids SEMI JOIN repeated_content USING (project_id, session_id, event_hash)
    WHERE event_id_source = 'derived'
)
WHERE prev IS NOT NULL AND epoch_us("timestamp") - epoch_us(prev) <= {dedupe_window_us};

-- event_seq is ranked on the key columns alone, then joined back: sorting narrow
-- rows is much cheaper than sorting whole events.
CREATE TEMP TABLE kept_seq AS
SELECT
    project_id, session_id, event_id,
    row_number() OVER (
        PARTITION BY project_id, session_id ORDER BY "timestamp", event_id) AS event_seq
FROM (
    SELECT project_id, session_id, event_id, "timestamp" FROM unique_ids
    ANTI JOIN retry_duplicates USING (project_id, session_id, event_id)
);

CREATE TABLE events AS
SELECT
    project_id, event_id, session_id, event_type, source_type, "timestamp", actor, file_path,
    message, error_type, severity, status, parent_id, trace_id, span_id, model,
    input_tokens, output_tokens, cost_usd, attributes, tool_name, action_kind, duration_ms,
    cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens,
    parent_session_id, revision, event_hash, received_at, kept_seq.event_seq
FROM unique_ids JOIN kept_seq USING (project_id, session_id, event_id);

DROP TABLE landed;
DROP TABLE unique_ids;
DROP TABLE kept_seq;

-- Errors: normalize each distinct message once.
CREATE TEMP TABLE normalized_messages AS
SELECT message, trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(coalesce(message, ''), '[A-Za-z]:[\\/]Users[\\/][^\\/]+[\\/]AppData[\\/]Local[\\/]Temp([\\/][\w.@+~%$\[\]-]*)*', '<path>', 'g'), '(^|[^\w])([A-Za-z]:|\\\\[\w.$-]+)([\\/][\w.@+~%$\[\]-]*)+', '\1<path>', 'g'), '(^|[^\w./~<>\]-])~?(/[\w.@+~%$\[\]-]+)+/?', '\1<path>', 'g'), '(^|[^\w./\\<>\]-])\.{1,2}([\\/][\w.@+~%$\[\]-]+)+[\\/]?', '\1<path>', 'g'), '(^|[^\w./\\<>\]-])([\w.@+~%$\[\]-]+[\\/])+[\w.@+~%$\[\]-]*\.[A-Za-z][A-Za-z0-9]{0,9}\b', '\1<path>', 'g'), '(^|[^\w./\\<>\]-])\w[\w.-]*\.(py|pyi|pyx|ipynb|js|mjs|cjs|jsx|ts|tsx|rb|go|rs|java|kt|scala|c|h|cc|cpp|hpp|cs|php|swift|sh|sql|json|yaml|yml|toml|ini|cfg|txt|md|html|css|scss|vue|lock|xml|csv|parquet|log)\b', '\1<path>', 'g'), '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', '<uuid>', 'g'), '\b0[xX][0-9a-fA-F]+\b', '<hex>', 'g'), '<path>:\d+', '<path>:<n>', 'g'), '<path>:<n>:\d+', '<path>:<n>:<n>', 'g'), '\b(line|lineno|column|col|char)(\s*[:=]?\s*)\d+', '\1\2<n>', 'gi'), '<path>\(\d+,\d+\)', '<path>(<n>,<n>)', 'g'), ':\d+:\d+\)', ':<n>:<n>)', 'g'), '\bgoroutine \d+', 'goroutine <n>', 'g'), '\b\d+\.\d+(ms|s)\b', '<n>\1', 'g'), '\s+', ' ', 'g')) AS normalized_message
FROM (SELECT DISTINCT message FROM events WHERE event_type = 'error');

CREATE TABLE error_occurrences AS
SELECT
    e.project_id, e.event_id, e.session_id, e."timestamp",
    md5(coalesce(e.error_type, '') || '|' || n.normalized_message) AS cluster_id,
    e.error_type, n.normalized_message, e.message
FROM events e
JOIN normalized_messages n ON n.message IS NOT DISTINCT FROM e.message
WHERE e.event_type = 'error';

CREATE TABLE error_clusters AS
SELECT
    project_id,
    cluster_id,
    first.error_type,
    first.normalized_message,
    first.message AS sample_message,
    first_seen_at, last_seen_at, occurrences, sessions_affected
FROM (
    SELECT
        project_id,
        cluster_id,
        arg_min({'error_type': error_type, 'normalized_message': normalized_message,
                  'message': message}, ("timestamp", session_id, event_id)) AS first,
        min("timestamp") AS first_seen_at,
        max("timestamp") AS last_seen_at,
        count(*) AS occurrences,
        count(DISTINCT session_id) AS sessions_affected
    FROM error_occurrences
    GROUP BY project_id, cluster_id
);

CREATE TABLE session_error_clusters AS
SELECT
    project_id, session_id, cluster_id, first.error_type, first.normalized_message,
    first.event_id AS first_event_id, first.message AS sample_message,
    occurrences, first_seen_at, last_seen_at
FROM (
    SELECT
        project_id, session_id, cluster_id,
        arg_min({'error_type': error_type, 'normalized_message': normalized_message,
                 'event_id': event_id, 'message': message},
                ("timestamp", event_id)) AS first,
        count(*) AS occurrences,
        min("timestamp") AS first_seen_at,
        max("timestamp") AS last_seen_at
    FROM error_occurrences
    GROUP BY project_id, session_id, cluster_id
);

ALTER TABLE error_occurrences DROP COLUMN message;

-- Correlations: time buckets of width W; an action is listed under its own bucket
-- and the next, so an equi join on (session_id, bucket) finds every pair within W.
CREATE TABLE event_correlations AS
WITH
actions AS (
    SELECT
        project_id, session_id, event_id AS action_event_id, coalesce(actor, 'unknown') AS agent,
        file_path AS action_file_path, "timestamp" AS action_timestamp,
        epoch_us("timestamp") AS action_us,
        cast(floor(epoch_us("timestamp") / {correlation_window_us}) AS bigint) AS b
    FROM events
    WHERE event_type = 'agent_action' AND source_type = 'agent'
),
action_buckets AS (
    SELECT * EXCLUDE (b), b AS bucket FROM actions
    UNION ALL
    SELECT * EXCLUDE (b), b + 1 AS bucket FROM actions
),
errors AS (
    SELECT
        project_id, session_id, event_id AS error_event_id, file_path AS error_file_path,
        "timestamp" AS error_timestamp, epoch_us("timestamp") AS error_us,
        coalesce(message, '') AS error_message,
        coalesce(json_extract_string(attributes, '$.stack'), '') || chr(10)
        || coalesce(json_extract_string(attributes, '$.stacktrace'), '') AS error_stack,
        cast(floor(epoch_us("timestamp") / {correlation_window_us}) AS bigint) AS bucket
    FROM events
    WHERE event_type = 'error'
),
candidates AS (
    SELECT
        errors.*, a.action_event_id, a.agent, a.action_file_path, a.action_timestamp,
        errors.error_us - a.action_us AS lag_us
    FROM errors
    JOIN action_buckets a ON errors.project_id = a.project_id
        AND errors.session_id = a.session_id AND errors.bucket = a.bucket
    WHERE errors.error_us - a.action_us BETWEEN 0 AND {correlation_window_us}
),
scored AS (
    SELECT *,
        coalesce(action_file_path <> '' AND (
            replace(action_file_path, '\', '/') = replace(error_file_path, '\', '/')
            OR ends_with(replace(action_file_path, '\', '/'), '/' || replace(error_file_path, '\', '/'))
            OR ends_with(replace(error_file_path, '\', '/'), '/' || replace(action_file_path, '\', '/'))
            OR contains(error_message, action_file_path)
            OR contains(error_stack, action_file_path)
        ), false) AS same_file
    FROM candidates
),
ranked AS (
    SELECT *,
        CASE WHEN same_file THEN 0.7 ELSE 0.4 END AS confidence,
        row_number() OVER (
            PARTITION BY project_id, session_id, error_event_id
            ORDER BY same_file DESC, lag_us ASC, action_event_id ASC) AS attribution_rank
    FROM scored
)
SELECT
    md5('time_window' || '|'
        || CASE WHEN r.project_id = 'default' THEN r.session_id
            ELSE r.project_id || '/' || r.session_id END
        || '|' || r.action_event_id || '|' || r.error_event_id) AS correlation_id,
    r.project_id, r.session_id, 'time_window' AS method, r.action_event_id, r.error_event_id, r.agent,
    r.action_file_path, r.error_file_path, o.cluster_id AS error_cluster_id,
    r.action_timestamp, r.error_timestamp,
    cast(r.lag_us AS double) / 1000000 AS lag_s,
    r.same_file, cast(r.confidence AS double) AS confidence, r.attribution_rank
FROM ranked r
LEFT JOIN error_occurrences o
    ON r.project_id = o.project_id AND r.session_id = o.session_id
        AND r.error_event_id = o.event_id;

-- Sessions: one aggregate pass; session facts from the earliest session_start and
-- the latest session_end (arg_min / arg_max over a struct keeps null fields).
CREATE TABLE sessions AS
WITH agg AS (
    SELECT
        project_id,
        session_id,
        arg_min({'actor': actor, 'attributes': attributes, 'ts': "timestamp",
                 'parent': parent_session_id},
                ("timestamp", event_id)) FILTER (WHERE event_type = 'session_start') AS s,
        string_agg(DISTINCT model, ',' ORDER BY model)
            FILTER (WHERE event_type = 'llm_call') AS models,
        arg_max({'ts': "timestamp", 'status': status},
                ("timestamp", event_id)) FILTER (WHERE event_type = 'session_end') AS e,
        min("timestamp") FILTER (WHERE counted) AS first_event_at,
        max("timestamp") FILTER (WHERE counted) AS last_event_at,
        count(*) FILTER (WHERE counted) AS event_count,
        count(*) FILTER (WHERE counted AND source_type = 'agent') AS agent_event_count,
        count(*) FILTER (WHERE counted AND event_type = 'error') AS error_count,
        count(*) FILTER (WHERE counted AND event_type = 'test_run' AND status = 'passed')
            AS test_runs_passed,
        count(*) FILTER (
            WHERE counted AND event_type = 'test_run' AND status IN ('failed', 'error'))
            AS test_runs_failed,
        count(*) FILTER (WHERE counted AND event_type = 'llm_call') AS llm_calls,
        sum(input_tokens) FILTER (WHERE counted) AS input_tokens,
        sum(output_tokens) FILTER (WHERE counted) AS output_tokens,
        sum(try_cast(cost_usd AS decimal(38, 12))) FILTER (WHERE counted) AS cost_usd,
        count(DISTINCT file_path) FILTER (WHERE counted) AS distinct_files
    FROM (
        SELECT *, event_type NOT IN ('session_start', 'session_end') AS counted FROM events
    )
    GROUP BY project_id, session_id
)
SELECT
    project_id,
    session_id,
    s.actor,
    json_extract_string(s.attributes, '$.agent') AS agent,
    json_extract_string(s.attributes, '$.repo') AS repo,
    json_extract_string(s.attributes, '$.project') AS project,
    coalesce(json_extract_string(s.attributes, '$.branch'),
        json_extract_string(s.attributes, '$.git_branch')) AS branch,
    coalesce(s.parent, json_extract_string(s.attributes, '$.parent_session_id'))
        AS parent_session_id,
    models,
    s.ts AS started_at,
    e.ts AS ended_at,
    e.status AS outcome,
    first_event_at,
    last_event_at,
    event_count,
    agent_event_count,
    agent_event_count AS agent_activity_score,
    error_count,
    CASE WHEN event_count = 0 THEN 0.0 ELSE 100.0 * error_count / event_count END
        AS error_density,
    test_runs_passed,
    test_runs_failed,
    llm_calls,
    coalesce(input_tokens, 0) AS input_tokens,
    coalesce(output_tokens, 0) AS output_tokens,
    cast(coalesce(cost_usd, 0) AS double) AS cost_usd,
    distinct_files
FROM agg;

CREATE TABLE agent_performance AS
WITH
session_actions AS (
    SELECT
        project_id, session_id, coalesce(actor, 'unknown') AS agent, count(*) AS total_actions,
        min("timestamp") AS first_action_at, max("timestamp") AS last_action_at
    FROM events
    WHERE event_type = 'agent_action' AND source_type = 'agent'
    GROUP BY ALL
),
session_induced AS (
    SELECT project_id, session_id, agent, count(DISTINCT error_event_id) AS induced_error_count
    FROM event_correlations
    WHERE attribution_rank = 1
    GROUP BY ALL
),
per_session AS (
    SELECT
        'session' AS scope, a.agent, a.project_id, a.session_id, 1 AS sessions_count,
        a.total_actions,
        coalesce(i.induced_error_count, 0) AS induced_error_count,
        a.first_action_at, a.last_action_at
    FROM session_actions a
    LEFT JOIN session_induced i
        ON a.project_id = i.project_id AND a.session_id = i.session_id AND a.agent = i.agent
),
combined AS (
    SELECT * FROM per_session
    UNION ALL BY NAME
    SELECT
        'overall' AS scope, agent, project_id, cast(NULL AS varchar) AS session_id,
        count(*) AS sessions_count, sum(total_actions) AS total_actions,
        sum(induced_error_count) AS induced_error_count,
        min(first_action_at) AS first_action_at, max(last_action_at) AS last_action_at
    FROM per_session
    GROUP BY project_id, agent
)
SELECT
    md5(CASE WHEN project_id = 'default' THEN '' ELSE project_id || '/' END
        || scope || '|' || agent || '|' || coalesce(session_id, '')) AS agent_performance_id,
    scope, agent, project_id, session_id,
    cast(sessions_count AS bigint) AS sessions_count,
    cast(total_actions AS bigint) AS total_actions,
    cast(induced_error_count AS bigint) AS induced_error_count,
    greatest(0.0, cast(total_actions - induced_error_count AS double) / total_actions)
        AS success_rate,
    first_action_at, last_action_at
FROM combined;
