{#
  The Spark variants of the engine-specific macros in portable.sql (issue 17), picked by
  adapter.dispatch when the target is dbt-spark. They assume the profile's settings
  (profiles.yml): session time zone UTC and `spark.sql.parser.escapedStringLiterals`,
  so a string literal is taken as written, backslashes included, as DuckDB takes it.
  With that setting a literal cannot end in a backslash (Spark's lexer would read `\'`
  as an escaped quote): write chr(92) instead.
#}

{% macro spark__sorted_distinct_list(column, sep) -%}
    array_join(array_sort(collect_set({{ column }})), '{{ sep }}')
{%- endmacro %}

{% macro spark__type_timestamp_tz() -%}
    timestamp
{%- endmacro %}

{% macro spark__timestamp_to_us(expr) -%}
    unix_micros({{ expr }})
{%- endmacro %}

{% macro spark__us_to_timestamp(expr) -%}
    timestamp_micros({{ expr }})
{%- endmacro %}


{#- Regexes: DuckDB's are RE2, Spark's java.util.regex. The models keep to what both
    read the same; the differences handled here are the flags and back-references. -#}
{% macro _spark_literal_body(literal) -%}
    {#- The text of a SQL string literal written as '...'; none for any other expression. -#}
    {%- set text = literal | trim -%}
    {%- if text | length >= 2 and text[0] == "'" and text[-1] == "'" and "'" not in text[1:-1] -%}
        {{ return(text[1:-1]) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__regexp_replace_all(expr, pattern, replacement, ignore_case) -%}
    {%- set body = _spark_literal_body(pattern) -%}
    {%- if ignore_case -%}
        {%- set pattern = "'(?i)" ~ body ~ "'" if body is not none else "concat('(?i)', " ~ pattern ~ ")" -%}
    {%- endif -%}
    {#- DuckDB writes a group back as \1, Java as $1. -#}
    {%- set ns = namespace(replacement=replacement) -%}
    {%- for digit in range(1, 10) -%}
        {%- set ns.replacement = ns.replacement | replace('\\' ~ digit, '$' ~ digit) -%}
    {%- endfor -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ ns.replacement }})
{%- endmacro %}

{#- Spark's regexp_replace replaces every match; the models' first-only patterns are
    anchored (^... or ...$), which match at most once, so both give the same text. -#}
{% macro spark__regexp_replace_first(expr, pattern, replacement) -%}
    {%- set body = _spark_literal_body(pattern) -%}
    {%- if body is none or not (body.startswith('^') or body.startswith('(^') or body.endswith('$') or body.endswith('$)')) -%}
        {{ exceptions.raise_compiler_error(
            "regexp_replace_first on Spark needs an anchored literal pattern, got " ~ pattern
        ) }}
    {%- endif -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{% macro spark__regexp_matches_fully(expr, pattern) -%}
    {%- set body = _spark_literal_body(pattern) -%}
    {%- if body is not none -%}
        ({{ expr }} rlike '^(?:{{ body }})$')
    {%- else -%}
        ({{ expr }} rlike concat('^(?:', {{ pattern }}, ')$'))
    {%- endif -%}
{%- endmacro %}

{% macro spark__regexp_contains(expr, pattern) -%}
    ({{ expr }} rlike {{ pattern }})
{%- endmacro %}

{#- \Q...\E quotes a Java regex; an \E inside the text is closed and reopened. -#}
{% macro spark__regexp_literal(expr) -%}
    concat('\Q', replace({{ expr }}, '\E', '\E\\E\Q'), '\E')
{%- endmacro %}

{% macro spark__extract_file_paths(expr) -%}
    regexp_extract_all(
        coalesce({{ expr }}, ''),
        '[A-Za-z0-9_.~@+-]*([\\/][A-Za-z0-9_.~@+\[\]-]+)*\.({{ source_file_extensions() }})\b',
        0
    )
{%- endmacro %}

{% macro spark__has_suffix(expr, suffix) -%}
    endswith({{ expr }}, {{ suffix }})
{%- endmacro %}


{#- Lists (Spark arrays). -#}
{% macro spark__json_string_list(expr, path) -%}
    from_json(get_json_object({{ expr }}, '{{ path }}'), 'array<string>')
{%- endmacro %}

{% macro spark__join_list(expr, sep) -%}
    array_join({{ expr }}, '{{ sep }}')
{%- endmacro %}

{#- collect_list skips nulls, DuckDB's list keeps them: collect structs, which are never
    null, sort them (a null value first, as DuckDB sorts), and take the values out. -#}
{% macro spark__sorted_list(column) -%}
    transform(array_sort(collect_list(struct({{ column }} as v))), x -> x.v)
{%- endmacro %}

{% macro spark__struct_of_min(fields, ordering) -%}
    min_by(
        named_struct( {%- for name, expr in fields.items() %}'{{ name }}', {{ expr }}{{ ', ' if not loop.last }}{% endfor -%} ),
        struct({{ ordering | join(', ') }})
    )
{%- endmacro %}

{% macro spark__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__unnest_list(expr) -%}
    explode({{ expr }})
{%- endmacro %}

{#- A string literal of `value`. Literals are taken as written (no escapes), so a quote
    in the value is concatenated as chr(39). -#}
{% macro spark_string(value) -%}
    '{{ value | replace("'", "' || chr(39) || '") }}'
{%- endmacro %}

{% macro spark__string_list(values) -%}
    array( {%- for value in values %}{{ spark_string(value) }}{{ ', ' if not loop.last }}{% endfor -%} )
{%- endmacro %}

{% macro spark__list_of(expr) -%}
    array({{ expr }})
{%- endmacro %}

{% macro spark__empty_string_list() -%}
    cast(array() as array<string>)
{%- endmacro %}

{% macro spark__concat_lists(first, second) -%}
    concat({{ first }}, {{ second }})
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}


{#- Paths: the last segment, and what is before the last separator (either kind). -#}
{% macro spark__path_basename(expr) -%}
    regexp_extract({{ expr }}, '([^/\\]*)$', 1)
{%- endmacro %}

{% macro spark__path_dirname(expr) -%}
    regexp_extract({{ expr }}, '^(.*)[/\\][^/\\]*$', 1)
{%- endmacro %}


{#- Files: Spark's Parquet source, with the file's path as `filename` (a file: URI; the
    models read only its last segments). Several patterns are one Hadoop glob {a,b}. -#}
{% macro spark__read_parquet_files(patterns) -%}
    {%- if patterns | length == 1 -%}
        {%- set glob = patterns[0] -%}
    {%- else -%}
        {#- Hadoop expands {a,b} inside a path, so the common folder goes in front (a
            glob starting with { would be read as a relative path). -#}
        {%- set first = patterns[0].split('/') -%}
        {%- set ns = namespace(common=first | length - 1) -%}
        {%- for pattern in patterns[1:] -%}
            {%- set parts = pattern.split('/') -%}
            {%- for i in range([ns.common, parts | length - 1] | min) -%}
                {%- if i < ns.common and parts[i] != first[i] -%}{%- set ns.common = i -%}{%- endif -%}
            {%- endfor -%}
            {%- set ns.common = [ns.common, parts | length - 1] | min -%}
        {%- endfor -%}
        {%- set prefix = first[:ns.common] | join('/') -%}
        {%- set rests = [] -%}
        {%- for pattern in patterns %}{% do rests.append(pattern[prefix | length + 1:]) %}{% endfor -%}
        {%- set glob = prefix ~ '/{' ~ rests | join(',') ~ '}' -%}
    {%- endif -%}
    (select *, _metadata.file_path as filename from parquet.`{{ glob }}`)
{%- endmacro %}

{% macro spark__read_parquet_file(path) -%}
    parquet.`{{ path }}`
{%- endmacro %}


{#- dbt's own quoting of a value inside '...' (unit-test fixtures, accepted_values): as
    spark_string, close the literal, concatenate the quote and open it again. -#}
{% macro spark__escape_single_quotes(expression) -%}
    {{ expression | replace("'", "' || chr(39) || '") }}
{%- endmacro %}
