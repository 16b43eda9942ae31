{#- Helpers of the change_set correlator (models/intermediate/int_change_set_correlations.sql). -#}

{#- A path with forward slashes and no leading ./ (edits and runners spell paths both ways). -#}
{% macro clean_path(expr) -%}
    {{ regexp_replace_first("replace(" ~ expr ~ ", chr(92), '/')", "'^(\\./)+'", "''") }}
{%- endmacro %}


{#- The last segment of a clean path: the join key of file matches. -#}
{% macro file_name(expr) -%}
    {{ regexp_replace_first(expr, "'^.*/'", "''") }}
{%- endmacro %}


{#- A file name without its extension. -#}
{% macro file_base(name) -%}
    {{ regexp_replace_first(name, "'\\.[^.]*$'", "''") }}
{%- endmacro %}


{#- The module a file name belongs to: its base without the test affixes runners use
    (test_a.py, a_test.py, a_test.go, a_test.exs, a.test.ts, a.spec.js, a_spec.rb,
    ATest.java), so a test file and the module it tests share a stem. -#}
{% macro module_stem(name) -%}
    {{ regexp_replace_first(
        file_base(name),
        "'(^test_|_tests?$|_spec$|\\.test$|\\.spec$|Tests?$)'",
        "''"
    ) }}
{%- endmacro %}
