-- One row per session folder of the landing zone (grain: project_id + session_id): the landing
-- files this build saw. Read from the directory listing only (no Parquet is opened):
-- a file's name starts with its batch's received time in microseconds, and a
-- compacted file keeps the name of its newest input, so the newest name of a folder
-- is the newest received_at of its rows.
--   landed_through  newest received time among the session's files
--   landing_files   the files' names, sorted
-- A table, not a view like other staging models: it is the one listing every model
-- of this build works from (a view would list the folder again at each read and could
-- see files that landed mid-build). Session-scoped incremental models re-derive the
-- sessions whose files changed since they last derived them
-- (macros/session_scoped_incremental.sql); the `landing_sessions` mart publishes it
-- for the read API.
{{ config(materialized='table') }}
-- depends_on: {{ source('landing', 'events') }}
with

files as (
    select
        {{ project_of_landing_file('file') }} as project_id,
        {{ path_basename(path_dirname('file')) }} as session_id,
        {{ path_basename('file') }} as file_name
    from {{ landing_file_listing('events') }}
),

stamped as (
    select
        project_id,
        session_id,
        file_name,
        {{ us_to_timestamp('cast(left(file_name, 20) as bigint)') }} as received_at
    from files
    where {{ regexp_matches_fully('file_name', "'[0-9]{20}-.+\\.parquet'") }}
),

final as (
    select
        project_id,
        session_id,
        max(received_at) as landed_through,
        {{ sorted_list('file_name') }} as landing_files,
        count(*) as file_count
    from stamped
    group by project_id, session_id
)

select * from final
