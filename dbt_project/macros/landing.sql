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


{#- The landed event columns in the landing schema's order, as (name, type) for
    cast_columns (achilles_core/landing.py COLUMNS; tests/test_event_columns.py). -#}
{% macro landing_event_columns() -%}
    {{ return([
        ('event_id', 'string'),
        ('event_id_source', 'string'),
        ('session_id', 'string'),
        ('event_type', 'string'),
        ('source_type', 'string'),
        ('timestamp', 'timestamp_tz'),
        ('actor', 'string'),
        ('file_path', 'string'),
        ('message', 'string'),
        ('error_type', 'string'),
        ('severity', 'string'),
        ('status', 'string'),
        ('parent_id', 'string'),
        ('trace_id', 'string'),
        ('span_id', 'string'),
        ('model', 'string'),
        ('input_tokens', 'bigint'),
        ('output_tokens', 'bigint'),
        ('cost_usd', 'double'),
        ('attributes', 'string'),
        ('tool_name', 'string'),
        ('action_kind', 'string'),
        ('duration_ms', 'bigint'),
        ('cache_read_tokens', 'bigint'),
        ('cache_write_tokens', 'bigint'),
        ('cache_write_1h_tokens', 'bigint'),
        ('reasoning_tokens', 'bigint'),
        ('parent_session_id', 'string'),
        ('revision', 'integer'),
        ('event_hash', 'string'),
        ('received_at', 'timestamp_tz'),
        ('batch_id', 'string'),
        ('batch_index', 'integer'),
    ]) }}
{%- endmacro %}


{#- Landing columns typed and named as the warehouse uses them (stg_events). -#}
{% macro typed_landing_columns() -%}
        cast({{ project_of_landing_file('filename') }} as {{ dbt.type_string() }}) as project_id,
        {{- cast_columns(landing_event_columns()) }}
{%- endmacro %}


{#- The landing files dbt builds from, as a relation with one column, `file` (a path):
    `kind` 'events' or 'metric_points'. From the manifest the landing step wrote (var
    `landing_manifest`, set by `achilles run` and Dagster); without one, DuckDB lists the
    folder itself (a `dbt build` by hand), Spark cannot. -#}
{% macro landing_file_listing(kind) -%}
    {%- set manifest = var('landing_manifest', none) -%}
    {%- if manifest -%}
        (select path as file from {{ read_parquet_file(manifest) }} where kind = '{{ kind }}')
    {%- else -%}
        {{ return(adapter.dispatch('landing_files_unlisted', 'achilles')(kind)) }}
    {%- endif -%}
{%- endmacro %}

{#- The glob of a landing source's files: `events` or `metric_points`. -#}
{% macro landing_glob(kind) -%}
    {{ return(landing_events_glob() if kind == 'events' else metric_points_glob()) }}
{%- endmacro %}

{% macro default__landing_files_unlisted(kind) -%}
    {{ list_files(landing_glob(kind)) }}
{%- endmacro %}

{% macro spark__landing_files_unlisted(kind) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {{ exceptions.raise_compiler_error(
        "On Spark dbt reads the landing step's file listing: build with `achilles run` or "
        "Dagster, or pass --vars '{landing_manifest: <data dir>/warehouse/landing_manifest.parquet}'"
    ) }}
{%- endmacro %}


{#- A landing source (`events` or `metric_points`) as a relation of every landed row plus
    `filename`. DuckDB reads the source's external_location (_staging.yml); Spark reads
    the same files through its Parquet source. -#}
{% macro landing_source(name) -%}
    {%- set relation = source('landing', name) -%}
    {{ return(adapter.dispatch('landing_source', 'achilles')(name, relation)) }}
{%- endmacro %}

{% macro default__landing_source(name, relation) -%}
    {{ relation }}
{%- endmacro %}

{% macro spark__landing_source(name, relation) -%}
    {{ read_parquet_files([landing_glob(name)]) }}
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
        {%- set result = run_query("select count(*) > 0 from " ~ landing_file_listing('events')) -%}
    {%- endif -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}


{% macro landing_events_empty() -%}
    select {{ cast_columns(landing_event_columns() + [('filename', 'string')], nulls=true) }}
    where false
{%- endmacro %}


{#- A column type of cast_columns: 'string' and 'timestamp_tz' are the portable types,
    any other is written as is (bigint, double, integer, boolean). -#}
{% macro column_type(kind) -%}
    {%- if kind == 'string' -%}{{ dbt.type_string() }}
    {%- elif kind == 'timestamp_tz' -%}{{ type_timestamp_tz() }}
    {%- else -%}{{ kind }}{%- endif -%}
{%- endmacro %}


{#- `cast(<name> as <type>) as <name>` for each (name, type) of `columns`, or
    `cast(null as <type>)` with nulls: a typed empty relation of the same columns. -#}
{% macro cast_columns(columns, nulls=false) -%}
    {%- for name, kind in columns %}
        cast({{ 'null' if nulls else adapter.quote(name) }} as {{ column_type(kind) }}) as {{ adapter.quote(name) }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
