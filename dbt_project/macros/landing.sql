{#
  The landing zone is a folder of immutable Parquet files, one folder per session
  (see ingest_api/landing.py). The source `landing.events` reads them with
  read_parquet; DuckDB refuses a glob that matches no file, so staging asks
  `landing_has_files()` first and falls back to `landing_events_empty()`, a typed
  empty relation with the landing schema, so `dbt build` on a fresh data dir
  succeeds with empty marts.
#}

{% macro landing_events_glob() -%}
    {{ return(env_var('ACHILLES_DATA_DIR') ~ '/landing/events/*/*.parquet') }}
{%- endmacro %}


{% macro landing_has_files() -%}
    {#- At parse time nothing runs; say yes so the source dependency is recorded. -#}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set pattern = landing_events_glob() | replace("'", "''") -%}
    {%- set result = run_query("select count(*) > 0 as has_files from glob('" ~ pattern ~ "')") -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}


{% macro landing_events_empty() -%}
    select
        cast(null as varchar) as event_id,
        cast(null as varchar) as event_id_source,
        cast(null as varchar) as session_id,
        cast(null as varchar) as event_type,
        cast(null as varchar) as source_type,
        cast(null as timestamptz) as "timestamp",
        cast(null as varchar) as actor,
        cast(null as varchar) as file_path,
        cast(null as varchar) as message,
        cast(null as varchar) as error_type,
        cast(null as varchar) as severity,
        cast(null as varchar) as status,
        cast(null as varchar) as parent_id,
        cast(null as varchar) as trace_id,
        cast(null as varchar) as span_id,
        cast(null as varchar) as model,
        cast(null as bigint) as input_tokens,
        cast(null as bigint) as output_tokens,
        cast(null as double) as cost_usd,
        cast(null as varchar) as attributes,
        cast(null as varchar) as event_hash,
        cast(null as timestamptz) as received_at,
        cast(null as varchar) as batch_id,
        cast(null as integer) as batch_index
    where false
{%- endmacro %}
