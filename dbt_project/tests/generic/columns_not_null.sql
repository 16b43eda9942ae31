{#
  columns_not_null(columns): none of these columns holds a null. One scan of the
  model for all of them (a not_null test per column would scan it once each); a
  failure returns one row per offending column with its count of null rows.
#}
{% test columns_not_null(model, columns) %}

with

null_counts as (
    select
        {%- for column in columns %}
        sum(case when {{ adapter.quote(column) }} is null then 1 else 0 end) as null_rows_{{ loop.index }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
),

final as (
    {%- for column in columns %}
    select '{{ column }}' as column_name, null_rows_{{ loop.index }} as null_rows from null_counts
    {{- ' union all' if not loop.last }}
    {%- endfor %}
)

select * from final
where null_rows > 0

{% endtest %}
