{#
  OTLP metric points land apart from the events, one flat folder of immutable
  Parquet files (achilles_core/landing.py, METRIC_SCHEMA). As for the events, a
  glob that matches no file is refused, so staging asks first and falls back to a
  typed empty relation.
#}

{% macro metric_points_glob() -%}
    {{ return(env_var('ACHILLES_DATA_DIR') ~ '/landing/metrics*/*.parquet') }}
{%- endmacro %}


{% macro metric_points_have_files() -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(adapter.dispatch('metric_points_have_files')()) }}
{%- endmacro %}

{% macro default__metric_points_have_files() -%}
    {%- set result = run_query("select count(*) > 0 from " ~ list_files(metric_points_glob())) -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}


{#- The landed columns typed and named as the warehouse uses them. -#}
{% macro typed_metric_point_columns() -%}
        {#- The project from the file's folder, `metrics` or `metrics.<project>`. #}
        cast(coalesce(
            nullif(substr({{ path_basename(path_dirname('filename')) }}, 9), ''), 'default'
        ) as {{ dbt.type_string() }}) as project_id,
        cast(point_id as {{ dbt.type_string() }}) as point_id,
        cast(metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(metric_type as {{ dbt.type_string() }}) as metric_type,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(value as double) as value,
        cast(point_count as bigint) as point_count,
        cast(is_monotonic as boolean) as is_monotonic,
        cast(temporality as {{ dbt.type_string() }}) as temporality,
        cast(start_time as {{ type_timestamp_tz() }}) as start_time,
        cast(observed_at as {{ type_timestamp_tz() }}) as observed_at,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(model as {{ dbt.type_string() }}) as model,
        cast(type_attribute as {{ dbt.type_string() }}) as type_attribute,
        cast(service_name as {{ dbt.type_string() }}) as service_name,
        cast(attributes as {{ dbt.type_string() }}) as attributes,
        cast(resource_attributes as {{ dbt.type_string() }}) as resource_attributes,
        cast(scope_name as {{ dbt.type_string() }}) as scope_name,
        cast(received_at as {{ type_timestamp_tz() }}) as received_at,
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(batch_index as integer) as batch_index
{%- endmacro %}


{% macro metric_points_empty() -%}
    select
        cast(null as {{ dbt.type_string() }}) as filename,
        cast(null as {{ dbt.type_string() }}) as point_id,
        cast(null as {{ dbt.type_string() }}) as metric_name,
        cast(null as {{ dbt.type_string() }}) as metric_type,
        cast(null as {{ dbt.type_string() }}) as unit,
        cast(null as double) as value,
        cast(null as bigint) as point_count,
        cast(null as boolean) as is_monotonic,
        cast(null as {{ dbt.type_string() }}) as temporality,
        cast(null as {{ type_timestamp_tz() }}) as start_time,
        cast(null as {{ type_timestamp_tz() }}) as observed_at,
        cast(null as {{ dbt.type_string() }}) as session_id,
        cast(null as {{ dbt.type_string() }}) as model,
        cast(null as {{ dbt.type_string() }}) as type_attribute,
        cast(null as {{ dbt.type_string() }}) as service_name,
        cast(null as {{ dbt.type_string() }}) as attributes,
        cast(null as {{ dbt.type_string() }}) as resource_attributes,
        cast(null as {{ dbt.type_string() }}) as scope_name,
        cast(null as {{ type_timestamp_tz() }}) as received_at,
        cast(null as {{ dbt.type_string() }}) as batch_id,
        cast(null as integer) as batch_index
    where false
{%- endmacro %}
