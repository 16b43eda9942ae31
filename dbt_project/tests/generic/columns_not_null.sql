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
        count(*) filter (where {{ adapter.quote(column) }} is null) as {{ adapter.quote(column) }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
),

final as (
    unpivot null_counts on columns(*) into name column_name value null_rows
)

select * from final
where null_rows > 0

{% endtest %}
