{#
  A global override of dbt's get_where_subquery: dbt renders every generic data test
  (unique, not_null, accepted_values, relationships, the ones in tests/generic/) on
  the relation this macro returns. Here that relation is first restricted to the
  sessions its model re-derived in its last build (`scoped`, in
  macros/session_scoped_incremental.sql), so an incremental run tests what it changed
  instead of re-reading every table in full. On a full build the scope is every
  session and the relation is returned unchanged.

  It applies to every generic test of the project, silently: a test that must see a
  whole table on an incremental run (say a uniqueness that spans sessions) has to be
  a singular test that does not call scoped(). The test's own `where` config is
  applied on top, as dbt's default does.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set base = scoped(relation, 'dbt_scoped') if relation is not string else relation -%}
    {%- if where -%}
        {{ return("(select * from " ~ base ~ " where " ~ where ~ ") dbt_subquery") }}
    {%- endif -%}
    {{ return(base) }}
{%- endmacro %}
