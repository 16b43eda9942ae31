{#- Engine-specific pieces of the incident models, behind dispatchable macros so a
    Spark build overrides only these (spark__...). -#}

{#- A JSON string field of a JSON text column ('$.a.b' paths). -#}
{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'achilles')(column, path)) }}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_text(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}

{#- An RFC 3339 string as the warehouse's UTC timestamp type. -#}
{% macro text_to_timestamp(expr) -%}
    {{ return(adapter.dispatch('text_to_timestamp', 'achilles')(expr)) }}
{%- endmacro %}

{% macro default__text_to_timestamp(expr) -%}
    cast({{ expr }} as {{ type_timestamp_tz() }})
{%- endmacro %}

{% macro spark__text_to_timestamp(expr) -%}
    cast({{ expr }} as timestamp)
{%- endmacro %}

{#- Severity as a rank, highest first when sorted descending (unknown = 0). -#}
{% macro severity_rank(column) -%}
    case {{ column }}
        when 'fatal' then 6
        when 'critical' then 5
        when 'error' then 4
        when 'warning' then 3
        when 'info' then 2
        when 'debug' then 1
        else 0
    end
{%- endmacro %}
