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
    {%- set result = run_query("select count(*) > 0 from " ~ landing_file_listing('metric_points')) -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}


{#- The landed metric point columns, as (name, type) for cast_columns (landing.sql). -#}
{% macro metric_point_columns() -%}
    {{ return([
        ('point_id', 'string'),
        ('metric_name', 'string'),
        ('metric_type', 'string'),
        ('unit', 'string'),
        ('value', 'double'),
        ('point_count', 'bigint'),
        ('is_monotonic', 'boolean'),
        ('temporality', 'string'),
        ('start_time', 'timestamp_tz'),
        ('observed_at', 'timestamp_tz'),
        ('session_id', 'string'),
        ('model', 'string'),
        ('type_attribute', 'string'),
        ('service_name', 'string'),
        ('attributes', 'string'),
        ('resource_attributes', 'string'),
        ('scope_name', 'string'),
        ('received_at', 'timestamp_tz'),
        ('batch_id', 'string'),
        ('batch_index', 'integer'),
    ]) }}
{%- endmacro %}


{#- The landed columns typed and named as the warehouse uses them. -#}
{% macro typed_metric_point_columns() -%}
        {#- The project from the file's folder, `metrics` or `metrics.<project>`. #}
        cast(coalesce(
            nullif(substr({{ path_basename(path_dirname('filename')) }}, 9), ''), 'default'
        ) as {{ dbt.type_string() }}) as project_id,
        {{- cast_columns(metric_point_columns()) }}
{%- endmacro %}


{% macro metric_points_empty() -%}
    select {{ cast_columns([('filename', 'string')] + metric_point_columns(), nulls=true) }}
    where false
{%- endmacro %}
