{#- Engine-specific SQL behind one name each, so models port to Spark (issue 17). -#}

{#- The distinct non-null values of `column`, sorted, as one comma-separated string. -#}
{% macro sorted_distinct_list(column) -%}
    {{ return(adapter.dispatch('sorted_distinct_list')(column)) }}
{%- endmacro %}

{% macro default__sorted_distinct_list(column) -%}
    string_agg(distinct {{ column }}, ',' order by {{ column }})
{%- endmacro %}

{% macro spark__sorted_distinct_list(column) -%}
    array_join(array_sort(collect_set({{ column }})), ',')
{%- endmacro %}
