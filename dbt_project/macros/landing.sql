{#
  The landing zone is a folder of immutable Parquet files, one folder per session of
  each project (see achilles_core/landing.py): `landing/events/<session>/` for project
  `default`, `landing/events.<project>/<session>/` for the others; the folder names the
  project, as no column in the file does. The source `landing.events` reads them with
  read_parquet; DuckDB refuses a glob that matches no file, so staging asks
  `landing_has_files()` first and falls back to `landing_events_empty()`, a typed
  empty relation with the landing schema, so `dbt build` on a fresh data dir
  succeeds with empty marts.
#}

{#- A project's session folders (project ids, like session ids, are [A-Za-z0-9_.-]). -#}
{% macro landing_events_dir(project_id='default') -%}
    {%- set base = env_var('ACHILLES_DATA_DIR') ~ '/landing/events' -%}
    {{ return(base if project_id == 'default' else base ~ '.' ~ project_id) }}
{%- endmacro %}


{#- Every project's files: `events*` matches `events` and every `events.<project>`. -#}
{% macro landing_events_glob() -%}
    {{ return(env_var('ACHILLES_DATA_DIR') ~ '/landing/events*/*/*.parquet') }}
{%- endmacro %}


{#- The project a landing file belongs to, from its path (`filename` of read_parquet or
    `file` of glob): the name of its session folder's parent, `events` or `events.<p>`. -#}
{% macro project_of_landing_file(path) -%}
    coalesce(
        nullif(substr({{ path_basename(path_dirname(path_dirname(path))) }}, 8), ''),
        'default'
    )
{%- endmacro %}


{#- The landed rows of some sessions only: their folders, not the whole zone. A session
    is a key '<project_id>/<session_id>' (ids are [A-Za-z0-9_.-], no '/', so the key
    splits back and both are safe in a path and a glob). -#}
{% macro landing_events_of(sessions) -%}
    {%- if sessions | length == 0 -%}
        ({{ landing_events_empty() }})
    {%- else -%}
        {%- set patterns = [] -%}
        {%- for key in sessions %}{% set parts = key.split('/', 1) %}{% do patterns.append(landing_events_dir(parts[0]) ~ '/' ~ parts[1] ~ '/*.parquet') %}{% endfor -%}
        {{ read_parquet_files(patterns) }}
    {%- endif -%}
{%- endmacro %}


{#- Landing columns typed and named as the warehouse uses them (stg_events). -#}
{% macro typed_landing_columns() -%}
        cast({{ project_of_landing_file('filename') }} as {{ dbt.type_string() }}) as project_id,
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(event_id_source as {{ dbt.type_string() }}) as event_id_source,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        cast(source_type as {{ dbt.type_string() }}) as source_type,
        cast({{ adapter.quote('timestamp') }} as {{ type_timestamp_tz() }}) as {{ adapter.quote('timestamp') }},
        cast(actor as {{ dbt.type_string() }}) as actor,
        cast(file_path as {{ dbt.type_string() }}) as file_path,
        cast(message as {{ dbt.type_string() }}) as message,
        cast(error_type as {{ dbt.type_string() }}) as error_type,
        cast(severity as {{ dbt.type_string() }}) as severity,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(parent_id as {{ dbt.type_string() }}) as parent_id,
        cast(trace_id as {{ dbt.type_string() }}) as trace_id,
        cast(span_id as {{ dbt.type_string() }}) as span_id,
        cast(model as {{ dbt.type_string() }}) as model,
        cast(input_tokens as bigint) as input_tokens,
        cast(output_tokens as bigint) as output_tokens,
        cast(cost_usd as double) as cost_usd,
        cast(attributes as {{ dbt.type_string() }}) as attributes,
        cast(tool_name as {{ dbt.type_string() }}) as tool_name,
        cast(action_kind as {{ dbt.type_string() }}) as action_kind,
        cast(duration_ms as bigint) as duration_ms,
        cast(cache_read_tokens as bigint) as cache_read_tokens,
        cast(cache_write_tokens as bigint) as cache_write_tokens,
        cast(cache_write_1h_tokens as bigint) as cache_write_1h_tokens,
        cast(reasoning_tokens as bigint) as reasoning_tokens,
        cast(parent_session_id as {{ dbt.type_string() }}) as parent_session_id,
        cast(revision as integer) as revision,
        cast(event_hash as {{ dbt.type_string() }}) as event_hash,
        cast(received_at as {{ type_timestamp_tz() }}) as received_at,
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(batch_index as integer) as batch_index
{%- endmacro %}


{% macro landing_has_files() -%}
    {#- At parse time nothing runs; say yes so the source dependency is recorded. -#}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {#- stg_landing_sessions (built just before) has listed the files already; a glob of
        the whole zone is the fallback when it is not there. -#}
    {%- set listed = adapter.get_relation(
        database=this.database, schema=this.schema, identifier='stg_landing_sessions'
    ) -%}
    {%- if listed is not none -%}
        {%- set result = run_query("select count(*) > 0 from " ~ listed) -%}
    {%- else -%}
        {%- set result = run_query("select count(*) > 0 from " ~ list_files(landing_events_glob())) -%}
    {%- endif -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}


{% macro landing_events_empty() -%}
    select
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as {{ dbt.type_string() }}) as event_id_source,
        cast(null as {{ dbt.type_string() }}) as session_id,
        cast(null as {{ dbt.type_string() }}) as event_type,
        cast(null as {{ dbt.type_string() }}) as source_type,
        cast(null as {{ type_timestamp_tz() }}) as {{ adapter.quote('timestamp') }},
        cast(null as {{ dbt.type_string() }}) as actor,
        cast(null as {{ dbt.type_string() }}) as file_path,
        cast(null as {{ dbt.type_string() }}) as message,
        cast(null as {{ dbt.type_string() }}) as error_type,
        cast(null as {{ dbt.type_string() }}) as severity,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as parent_id,
        cast(null as {{ dbt.type_string() }}) as trace_id,
        cast(null as {{ dbt.type_string() }}) as span_id,
        cast(null as {{ dbt.type_string() }}) as model,
        cast(null as bigint) as input_tokens,
        cast(null as bigint) as output_tokens,
        cast(null as double) as cost_usd,
        cast(null as {{ dbt.type_string() }}) as attributes,
        cast(null as {{ dbt.type_string() }}) as tool_name,
        cast(null as {{ dbt.type_string() }}) as action_kind,
        cast(null as bigint) as duration_ms,
        cast(null as bigint) as cache_read_tokens,
        cast(null as bigint) as cache_write_tokens,
        cast(null as bigint) as cache_write_1h_tokens,
        cast(null as bigint) as reasoning_tokens,
        cast(null as {{ dbt.type_string() }}) as parent_session_id,
        cast(null as integer) as revision,
        cast(null as {{ dbt.type_string() }}) as event_hash,
        cast(null as {{ type_timestamp_tz() }}) as received_at,
        cast(null as {{ dbt.type_string() }}) as batch_id,
        cast(null as integer) as batch_index,
        cast(null as {{ dbt.type_string() }}) as filename
    where false
{%- endmacro %}
