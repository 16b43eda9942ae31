{#
  Session-scoped incremental builds.

  Every rule of the marts looks inside one session at a time (dedupe, correlations,
  per-session counts), so an incremental run re-derives whole sessions: those whose
  landing files are not the ones the model last derived them from. Landing files are
  immutable and only ever added (compaction replaces several by one new name), so a
  session whose file list is unchanged has the same rows. `stg_landing_sessions`
  lists the files from a directory listing, without reading any Parquet.

  A session is (project_id, session_id): two projects may both have a session "s1".
  In Jinja a session is the key '<project_id>/<session_id>' (neither id holds '/').

  Each session-scoped model keeps `<model>__build_scope` (project_id, session_id,
  landing_files, rederived), written by its post-hook in the same transaction as its rows: the files
  each session was derived from, and whether the last build re-derived it. A model
  that fails keeps its old state, so the next run re-derives its sessions again,
  whatever other models did meanwhile. No clock is involved: a batch stamped long
  before it landed is picked up like any other new file.

  Why not dbt's own `delete+insert` strategy with unique_key session_id: it deletes
  and re-inserts the sessions present in the new rows only. Which sessions to
  re-derive has to be known before the model's SQL runs (to read only their landing
  folders), a re-derived session that now yields no row (say an error that became
  a duplicate) would keep its old rows, and the record of which files each session
  was derived from would have to be kept apart from the rows anyway.

  Thin marts over a session-scoped model are views (`session_scoped_view`); they
  share its build scope so their data tests are scoped the same way. Generic data
  tests are scoped by the get_where_subquery override (macros/get_where_subquery.sql).
#}

{% macro build_scope_relation(relation) -%}
    {{ return(adapter.get_relation(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier ~ '__build_scope',
    )) }}
{%- endmacro %}


{% macro landing_sessions_relation(relation) -%}
    {{ return(api.Relation.create(
        database=relation.database, schema=relation.schema, identifier='stg_landing_sessions'
    )) }}
{%- endmacro %}


{#- The previous state of this incremental model, or none when every session must be
    derived (full refresh, first build, no state yet). -#}
{% macro previous_build_scope() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(build_scope_relation(this)) }}
{%- endmacro %}


{#- Every listed session with its files and whether they differ from the ones
    `state` says the model last derived it from (a query; `state` is a relation). -#}
{% macro landing_against(state) -%}
    select
        landing.project_id,
        landing.session_id,
        landing.landing_files,
        built.landing_files is distinct from landing.landing_files as rederived
    from {{ landing_sessions_relation(this) }} as landing
    left join {{ state }} as built
        on landing.project_id = built.project_id and landing.session_id = built.session_id
{%- endmacro %}


{#- The sessions to re-derive in this run: a list of '<project>/<session>' keys, or none
    for all. -#}
{% macro changed_sessions() -%}
    {%- set state = previous_build_scope() -%}
    {%- if state is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select project_id || '/' || session_id
        from ({{ landing_against(state) }})
        where rederived
        order by 1
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}


{#- Config, lineage and scope of a session-scoped model, in one call at its top:
        {%- set sessions = session_scoped_incremental() %}
    then filter its inputs with in_sessions(sessions). The pre-hook drops the rows of
    the sessions about to be re-derived, the post-hook records what they came from. -#}
{% macro session_scoped_incremental() -%}
    {%- do adapter.dispatch('session_scoped_config', 'achilles')() -%}
    {%- set _ = ref('stg_landing_sessions') -%}
    {{ return(changed_sessions()) }}
{%- endmacro %}

{% macro default__session_scoped_config() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_sessions() }}",
        post_hook="{{ record_build_scope() }}",
    ) }}
{%- endmacro %}

{#- Spark: a Parquet table takes no DELETE, so the table is partitioned by session and
    an incremental run overwrites the partitions of the sessions it re-derived (dynamic
    partition overwrite); the post-hook then drops the partitions of re-derived sessions
    that now have no row, which no write replaced. Spark keeps partition columns last:
    read these tables by column name. -#}
{% macro spark__session_scoped_config() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        file_format='parquet',
        partition_by=['project_id', 'session_id'],
        on_schema_change='fail',
        post_hook=["{{ drop_emptied_sessions() }}", "{{ record_build_scope() }}"],
    ) }}
{%- endmacro %}


{#- post_hook of a session-scoped model on Spark (see spark__session_scoped_config). A
    crash before it leaves stale rows only of sessions the next run re-derives again,
    since their build scope is written after (record_build_scope). -#}
{% macro drop_emptied_sessions() -%}
    {%- set sessions = changed_sessions() if execute and is_incremental() else none -%}
    {%- if sessions -%}
        {%- set stale = run_query(
            "select distinct project_id, session_id from " ~ this ~ " as t where "
            ~ in_sessions(sessions, 't.session_id') ~ " and not exists (select 1 from "
            ~ this.identifier ~ "__dbt_tmp as n where n.project_id = t.project_id "
            ~ "and n.session_id = t.session_id)"
        ) -%}
        {%- for row in stale.rows -%}
            {%- do run_query(
                "alter table " ~ this ~ " drop if exists partition (project_id = '"
                ~ row[0] ~ "', session_id = '" ~ row[1] ~ "')"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- `where` clause keeping the changed sessions (always true on a full build). As a
    subquery, not a literal IN list: DuckDB then filters the scan with the join's
    keys and reads the other columns only for matching rows (5x faster at 10 M).
    The session id alone narrows the scan; the project-qualified key then keeps
    exactly the changed sessions. `column` names the session id; the project id is
    the same qualifier's `project_id`. -#}
{% macro in_sessions(sessions, column='session_id') -%}
    {%- set project_column = column | replace('session_id', 'project_id') -%}
    {%- if sessions is none -%}
        true
    {%- elif sessions | length == 0 -%}
        false
    {%- else -%}
        {%- set ids = [] -%}
        {%- for s in sessions %}{% do ids.append(s.split('/', 1)[1]) %}{% endfor %}
        {{ column }} in (select {{ unnest_list(string_list(ids)) }})
        and {{ project_column }} || '/' || {{ column }} in (select {{ unnest_list(string_list(sessions)) }})
    {%- endif -%}
{%- endmacro %}


{#- pre_hook of a session-scoped model: drop the rows of the sessions about to be
    re-derived (all rows when there is no state), so a session that now yields fewer
    rows loses the old ones. -#}
{% macro delete_changed_sessions() -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where {{ in_sessions(changed_sessions()) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- post_hook of a session-scoped model: remember what it was built from. -#}
{% macro record_build_scope() -%}
    {%- set state = previous_build_scope() -%}
    {%- set query -%}
    {% if state is none -%}
    select project_id, session_id, landing_files, true as rederived
    from {{ landing_sessions_relation(this) }}
    {%- else -%}
    {{ landing_against(state) }}
    {%- endif %}
    {%- endset -%}
    {{ replace_table(this.schema ~ '.' ~ this.identifier ~ '__build_scope', query) }}
{%- endmacro %}


{#- A statement replacing the table `name` (schema.identifier) by the rows of `query`,
    which may read the table it replaces. -#}
{% macro replace_table(name, query) -%}
    {%- do remember_relation(name) -%}
    {{ return(adapter.dispatch('replace_table', 'achilles')(name, query)) }}
{%- endmacro %}


{#- dbt finds relations (adapter.get_relation) in the cache it filled when the run
    started, not in the database. A table a hook creates must be added to it, or the
    later nodes of the same run do not see it: a view's build scope copied from its
    parent's would be missed, and the view's tests would read every session. A table a
    hook drops leaves it (forget_relation). -#}
{% macro remember_relation(name) -%}
    {%- do cache_table_change(name, adapter.cache_added) -%}
{%- endmacro %}


{% macro forget_relation(name) -%}
    {%- do cache_table_change(name, adapter.cache_dropped) -%}
{%- endmacro %}


{% macro cache_table_change(name, change) -%}
    {%- if execute -%}
        {%- set schema, identifier = name.split('.') -%}
        {%- do change(api.Relation.create(
            database=this.database, schema=schema, identifier=identifier, type='table'
        )) -%}
    {%- endif -%}
{%- endmacro %}

{% macro default__replace_table(name, query) -%}
    create or replace table {{ name }} as {{ query }}
{%- endmacro %}

{#- A Parquet table on Spark takes no CREATE OR REPLACE: write the rows beside it, then
    swap (no transaction: a crash between leaves the new rows under the __next name
    and no state, so the next build re-derives every session). -#}
{% macro spark__replace_table(name, query) -%}
    {%- if execute -%}
        {%- do run_query('drop table if exists ' ~ name ~ '__next') -%}
        {%- do run_query('create table ' ~ name ~ '__next using parquet as ' ~ query) -%}
        {%- do run_query('drop table if exists ' ~ name) -%}
    {%- endif -%}
    alter table {{ name }}__next rename to {{ name }}
{%- endmacro %}


{#- A predicate keeping the sessions `relation`'s model re-derived in its last build
    (true when that was every session). -#}
{% macro scope_filter(relation) -%}
    {%- if not execute -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set state = build_scope_relation(relation) -%}
    {%- if state is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set every = run_query("select coalesce(bool_and(rederived), true) from " ~ state) -%}
    {%- if every.columns[0].values()[0] -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return(
        "project_id || '/' || session_id in (select project_id || '/' || session_id from "
        ~ state ~ " where rederived)"
    ) }}
{%- endmacro %}


{#- `relation` restricted by scope_filter. Data tests use it (generic ones through
    get_where_subquery, macros/get_where_subquery.sql), so an incremental run tests
    what it changed. -#}
{% macro scoped(relation, alias='scoped') -%}
    {%- set predicate = scope_filter(relation) -%}
    {%- if predicate == 'true' -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ return("(select * from " ~ relation ~ " where " ~ predicate ~ ") as " ~ alias) }}
{%- endmacro %}


{#- The landed rows (typed like stg_events) of the sessions int_events_deduplicated
    re-derived in its last build: only their folders are read, so testing them stays
    cheap on an incremental run. -#}
{% macro scoped_landing_rows() -%}
    {%- set events = ref('int_events_deduplicated') -%}
    {%- set predicate = scope_filter(events) -%}
    {%- if predicate == 'true' -%}
        {{ return(ref('stg_events')) }}
    {%- endif -%}
    {%- set sessions = run_query(
        "select project_id || '/' || session_id from " ~ build_scope_relation(events)
        ~ " where rederived order by 1"
    ).columns[0].values() | list -%}
    {{ return("(select " ~ typed_landing_columns() ~ " from " ~ landing_events_of(sessions) ~ ")") }}
{%- endmacro %}


{#- Config of a thin mart over the session-scoped model named `parent`: a view,
    whose post-hook gives it the parent's build scope, so its data tests (scoped by
    scope_filter) check the sessions the parent re-derived. -#}
{% macro session_scoped_view(parent) -%}
    {{ config(
        materialized='view',
        post_hook="{{ share_build_scope(ref('" ~ parent ~ "')) }}",
    ) }}
{%- endmacro %}


{#- post_hook of session_scoped_view: this view's scope is the parent's. -#}
{% macro share_build_scope(parent) -%}
    {%- set state = build_scope_relation(parent) if execute else none -%}
    {%- if state is none -%}
    {%- do forget_relation(this.schema ~ '.' ~ this.identifier ~ '__build_scope') -%}
    drop table if exists {{ this.schema }}.{{ this.identifier }}__build_scope
    {%- else -%}
    {{ replace_table(this.schema ~ '.' ~ this.identifier ~ '__build_scope', 'select * from ' ~ state) }}
    {%- endif %}
{%- endmacro %}
