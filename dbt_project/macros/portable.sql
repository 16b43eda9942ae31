{#- Engine-specific SQL behind one name each, so models port to Spark (issue 17). -#}

{#- The distinct non-null values of `column`, sorted, as one string joined by `sep`. -#}
{% macro sorted_distinct_list(column, sep=',') -%}
    {{ return(adapter.dispatch('sorted_distinct_list')(column, sep)) }}
{%- endmacro %}

{% macro default__sorted_distinct_list(column, sep) -%}
    string_agg(distinct {{ column }}, '{{ sep }}' order by {{ column }})
{%- endmacro %}

{% macro spark__sorted_distinct_list(column, sep) -%}
    array_join(array_sort(collect_set({{ column }})), '{{ sep }}')
{%- endmacro %}


{#
  Engine-specific pieces of the change_set correlator, behind adapter.dispatch so a
  Spark port adds `spark__...` versions beside these DuckDB ones (the default).
#}

{#- A JSON array of strings at `path` of the JSON text `expr`, as a list (null when absent). -#}
{% macro json_string_list(expr, path) -%}
    {{ return(adapter.dispatch('json_string_list')(expr, path)) }}
{%- endmacro %}

{% macro default__json_string_list(expr, path) -%}
    cast(json_extract({{ expr }}, '{{ path }}') as varchar[])
{%- endmacro %}


{#- Every file path a failure text names: tokens ending in a source file extension
    (src/a.py, /abs/lib/a.ex, a_test.go, "File \"x.py\""), optionally with :line. -#}
{% macro extract_file_paths(expr) -%}
    {{ return(adapter.dispatch('extract_file_paths')(expr)) }}
{%- endmacro %}

{% macro default__extract_file_paths(expr) -%}
    regexp_extract_all(
        coalesce({{ expr }}, ''),
        '[A-Za-z0-9_.~@+-]*([\\/][A-Za-z0-9_.~@+\[\]-]+)*\.({{ source_file_extensions() }})\b'
    )
{%- endmacro %}


{#- The string elements of a list joined with `sep`, in list order. -#}
{% macro join_list(expr, sep) -%}
    {{ return(adapter.dispatch('join_list')(expr, sep)) }}
{%- endmacro %}

{% macro default__join_list(expr, sep) -%}
    array_to_string({{ expr }}, '{{ sep }}')
{%- endmacro %}
