{#
  Serving stays DuckDB (issue 17): after a build on Spark, an on-run-end hook writes the
  tables the snapshot and the insight step read as Parquet folders, which the build step
  loads into the DuckDB build warehouse, cast to the published types
  (orchestration/spark_engine.py). The var `spark_export` names them and the folder:
  {tables: [...], dir: <path>}; without it (a build by hand) nothing is exported.
  A table this build does not have (say a __build_scope before the first build) is
  skipped. INSERT OVERWRITE DIRECTORY runs on a session and on a Thrift server alike.
#}
{% macro export_for_serving() -%}
    {%- set spec = var('spark_export', none) -%}
    {%- if execute and spec and target.type == 'spark' -%}
        {%- for table in spec['tables'] -%}
            {%- set relation = adapter.get_relation(database=none, schema=target.schema, identifier=table) -%}
            {%- if relation is not none -%}
                {%- do run_query(
                    "insert overwrite directory '" ~ spec['dir'] ~ "/" ~ table ~ "' using parquet "
                    ~ "select * from " ~ relation
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
