{#- Engine-specific SQL behind one name each (issue 17): the DuckDB variants (default__)
    here, Spark's (spark__) in portable_spark.sql. -#}

{#- The distinct non-null values of `column`, sorted, as one string joined by `sep`. -#}
{% macro sorted_distinct_list(column, sep=',') -%}
    {{ return(adapter.dispatch('sorted_distinct_list')(column, sep)) }}
{%- endmacro %}

{% macro default__sorted_distinct_list(column, sep) -%}
    string_agg(distinct {{ column }}, '{{ sep }}' order by {{ column }})
{%- endmacro %}


{#- Engine-specific pieces of the change_set correlator. -#}

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


{#
  DuckDB-only constructs of the models, one macro each (issue 17).
  tests/dbt/test_sql_portability.py keeps the models off the DuckDB-only functions
  named here.
#}

{#- The warehouse's UTC timestamp type (timestamptz on DuckDB; Spark's `timestamp`
    with the session time zone UTC). -#}
{% macro type_timestamp_tz() -%}
    {{ return(adapter.dispatch('type_timestamp_tz', 'achilles')()) }}
{%- endmacro %}

{% macro default__type_timestamp_tz() -%}
    timestamptz
{%- endmacro %}


{#- A timestamp as integer microseconds since the epoch (bigint). -#}
{% macro timestamp_to_us(expr) -%}
    {{ return(adapter.dispatch('timestamp_to_us', 'achilles')(expr)) }}
{%- endmacro %}

{% macro default__timestamp_to_us(expr) -%}
    epoch_us({{ expr }})
{%- endmacro %}


{#- Integer microseconds since the epoch as a UTC timestamp. -#}
{% macro us_to_timestamp(expr) -%}
    {{ return(adapter.dispatch('us_to_timestamp', 'achilles')(expr)) }}
{%- endmacro %}

{% macro default__us_to_timestamp(expr) -%}
    cast(make_timestamp({{ expr }}) as {{ type_timestamp_tz() }})
{%- endmacro %}


{#- Every match of `pattern` replaced (`pattern`, `replacement`: SQL string literals,
    RE2, back-references written \1 as DuckDB does; Spark writes $1 and takes (?i)
    instead of the 'i' flag). -#}
{% macro regexp_replace_all(expr, pattern, replacement, ignore_case=false) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'achilles')(expr, pattern, replacement, ignore_case)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement, ignore_case) -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}, '{{ "gi" if ignore_case else "g" }}')
{%- endmacro %}


{#- The first match of `pattern` replaced (Spark's regexp_replace replaces every match:
    its variant must keep the first-only result, say by anchoring the pattern). -#}
{% macro regexp_replace_first(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_first', 'achilles')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_first(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}


{#- Whether the whole of `expr` matches `pattern` (a SQL string literal). -#}
{% macro regexp_matches_fully(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches_fully', 'achilles')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_matches_fully(expr, pattern) -%}
    regexp_full_match({{ expr }}, {{ pattern }})
{%- endmacro %}


{#- Whether `pattern` (any SQL string expression) matches somewhere in `expr`. -#}
{% macro regexp_contains(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_contains', 'achilles')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_contains(expr, pattern) -%}
    regexp_matches({{ expr }}, {{ pattern }})
{%- endmacro %}


{#- `expr` as a regex matching exactly that text (its metacharacters escaped). -#}
{% macro regexp_literal(expr) -%}
    {{ return(adapter.dispatch('regexp_literal', 'achilles')(expr)) }}
{%- endmacro %}

{% macro default__regexp_literal(expr) -%}
    regexp_escape({{ expr }})
{%- endmacro %}


{#- Whether the string `expr` ends with `suffix`. -#}
{% macro has_suffix(expr, suffix) -%}
    {{ return(adapter.dispatch('has_suffix', 'achilles')(expr, suffix)) }}
{%- endmacro %}

{% macro default__has_suffix(expr, suffix) -%}
    ends_with({{ expr }}, {{ suffix }})
{%- endmacro %}


{#- Aggregate: the values of `column`, nulls included, as a list sorted by value. -#}
{% macro sorted_list(column) -%}
    {{ return(adapter.dispatch('sorted_list', 'achilles')(column)) }}
{%- endmacro %}

{% macro default__sorted_list(column) -%}
    list({{ column }} order by {{ column }})
{%- endmacro %}


{#- Aggregate: the struct of `fields` (name -> expression) of the row whose `ordering`
    (a list of expressions, compared in turn) is smallest. Read a field as `<alias>.<name>`. -#}
{% macro struct_of_min(fields, ordering) -%}
    {{ return(adapter.dispatch('struct_of_min', 'achilles')(fields, ordering)) }}
{%- endmacro %}

{% macro default__struct_of_min(fields, ordering) -%}
    arg_min(
        { {%- for name, expr in fields.items() %}'{{ name }}': {{ expr }}{{ ', ' if not loop.last }}{% endfor -%} },
        ({{ ordering | join(', ') }})
    )
{%- endmacro %}


{#- Every column of the relation in scope but `columns`: `select {{ star_except([...]) }}`. -#}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except', 'achilles')(columns)) }}
{%- endmacro %}

{% macro default__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}


{#- One row per element of the list `expr` (a select-list expression). -#}
{% macro unnest_list(expr) -%}
    {{ return(adapter.dispatch('unnest_list', 'achilles')(expr)) }}
{%- endmacro %}

{% macro default__unnest_list(expr) -%}
    unnest({{ expr }})
{%- endmacro %}


{#- A list literal of the Jinja strings `values` (quotes escaped). -#}
{% macro string_list(values) -%}
    {{ return(adapter.dispatch('string_list', 'achilles')(values)) }}
{%- endmacro %}

{% macro default__string_list(values) -%}
    [ {%- for value in values %}'{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor -%} ]
{%- endmacro %}


{#- A one-element list of `expr`, an empty list of strings, and two lists joined. -#}
{% macro list_of(expr) -%}
    {{ return(adapter.dispatch('list_of', 'achilles')(expr)) }}
{%- endmacro %}

{% macro default__list_of(expr) -%}
    [{{ expr }}]
{%- endmacro %}

{% macro empty_string_list() -%}
    {{ return(adapter.dispatch('empty_string_list', 'achilles')()) }}
{%- endmacro %}

{% macro default__empty_string_list() -%}
    cast([] as varchar [])
{%- endmacro %}

{% macro concat_lists(first, second) -%}
    {{ return(adapter.dispatch('concat_lists', 'achilles')(first, second)) }}
{%- endmacro %}

{% macro default__concat_lists(first, second) -%}
    list_concat({{ first }}, {{ second }})
{%- endmacro %}


{#- A CTE the engine should compute once (`name as {{ materialized_cte() }} (...)`);
    a hint only, the rows are the same without it. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'achilles')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}


{#- File paths: the last segment of a path, and the path without it (either separator). -#}
{% macro path_basename(expr) -%}
    {{ return(adapter.dispatch('path_basename', 'achilles')(expr)) }}
{%- endmacro %}

{% macro default__path_basename(expr) -%}
    parse_filename({{ expr }})
{%- endmacro %}

{% macro path_dirname(expr) -%}
    {{ return(adapter.dispatch('path_dirname', 'achilles')(expr)) }}
{%- endmacro %}

{% macro default__path_dirname(expr) -%}
    parse_dirpath({{ expr }})
{%- endmacro %}


{#- Reading the landing zone: the Parquet files of `patterns` (Jinja strings, globs) with
    their path as `filename`, and the file paths a glob matches as a relation (`file`). -#}
{% macro read_parquet_files(patterns) -%}
    {{ return(adapter.dispatch('read_parquet_files', 'achilles')(patterns)) }}
{%- endmacro %}

{% macro default__read_parquet_files(patterns) -%}
    read_parquet({{ string_list(patterns) }}, filename = true)
{%- endmacro %}

{% macro read_parquet_file(path) -%}
    {{ return(adapter.dispatch('read_parquet_file', 'achilles')(path)) }}
{%- endmacro %}

{% macro default__read_parquet_file(path) -%}
    read_parquet('{{ path | replace("'", "''") }}')
{%- endmacro %}

{% macro list_files(pattern) -%}
    {{ return(adapter.dispatch('list_files', 'achilles')(pattern)) }}
{%- endmacro %}

{% macro default__list_files(pattern) -%}
    glob('{{ pattern | replace("'", "''") }}')
{%- endmacro %}


{#- `numerator / denominator` as a double, null when the denominator is 0 or null
    (DuckDB gives inf for a double over 0, Spark null: both give null this way). -#}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}
