{#- The time windows as exact integer microseconds, so edges compare exactly
    (10 s is in, 10.000001 s is out) without floating-point surprises. -#}

{% macro seconds_to_us(seconds) -%}
    cast(round(cast({{ seconds }} as double) * 1000000) as bigint)
{%- endmacro %}

{% macro dedupe_window_us() -%}
    {{ seconds_to_us(var('dedupe_window_s')) }}
{%- endmacro %}

{% macro correlation_window_us() -%}
    {{ seconds_to_us(var('correlation_window_s')) }}
{%- endmacro %}
