{#- Fails on every combination of the given columns that occurs more than once
    (our own version of dbt_utils.unique_combination_of_columns; no hub packages here). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns_csv = combination_of_columns | join(', ') %}
    with

    counted as (
        select {{ columns_csv }}, count(*) as n_rows
        from {{ model }}
        group by {{ columns_csv }}
    ),

    final as (
        select * from counted where n_rows > 1
    )

    select * from final
{% endtest %}
