-- The landing files each session had when this build ran (grain: project_id + session_id):
-- stg_landing_sessions, published so the read API can tell whether the snapshot saw
-- exactly the files a session's folder holds now (ingest_api/service.py).
{{ config(materialized='view') }}
with

listed as (
    select * from {{ ref('stg_landing_sessions') }}
),

final as (
    select
        project_id,
        session_id,
        landed_through,
        landing_files,
        file_count
    from listed
)

select * from final
