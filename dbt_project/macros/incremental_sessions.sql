{#
  Session-scoped incremental builds.

  Every rule of the marts looks inside one session at a time (dedupe, correlations,
  per-session counts), so an incremental run re-derives whole sessions: those with a
  landing file newer than what the model was last built from. The landing file name
  starts with the batch's received time in microseconds (ingest_api/landing.py), so
  `landing_sessions` finds the changed sessions from a directory listing, without
  reading any Parquet.

  Each session-scoped model keeps a one-row state table `<model>__build_scope`,
  written by its post-hook in the same transaction as its rows:
    landed_through  newest landing file the model has been built from
    scope_since     the threshold this build used (null: every session was derived)
  A model that fails keeps its old state, so the next run re-derives its sessions
  again, whatever other models did meanwhile.

  A session is re-derived when its newest file is newer than
  (landed_through - incremental_lookback_s); the lookback covers a batch stamped
  before a build but renamed into place after it.
#}

{% macro build_scope_relation(relation) -%}
    {{ return(adapter.get_relation(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier ~ '__build_scope',
    )) }}
{%- endmacro %}


{#- The threshold for this incremental run, as a SQL expression, or none when every
    session must be derived (full refresh, first build, no state yet). -#}
{% macro scope_since_sql() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set state = build_scope_relation(this) -%}
    {%- if state is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("(select coalesce(max(landed_through), '-infinity'::timestamptz) - "
              ~ incremental_lookback() ~ " from " ~ state ~ ")") }}
{%- endmacro %}


{#- The sessions to re-derive in this run: a list of ids, or none for all. -#}
{% macro changed_sessions() -%}
    {%- set since = scope_since_sql() -%}
    {%- if since is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select session_id from {{ ref('landing_sessions') }}
        where landed_through > {{ since }}
        order by session_id
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}


{#- `where` clause keeping the changed sessions (always true on a full build). -#}
{% macro in_sessions(sessions, column='session_id') -%}
    {%- if sessions is none -%}
        true
    {%- elif sessions | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in (
            {%- for s in sessions %}'{{ s | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor -%}
        )
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
    {%- set since = scope_since_sql() -%}
    create or replace table {{ this.schema }}.{{ this.identifier }}__build_scope as
    select
        (select max(landed_through) from {{ ref('landing_sessions') }}) as landed_through,
        {{ since if since is not none else 'cast(null as timestamptz)' }} as scope_since
{%- endmacro %}


{#- A predicate keeping the sessions `relation`'s model re-derived in its last build
    (true after a full build). -#}
{% macro scope_filter(relation) -%}
    {%- if not execute -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set state = build_scope_relation(relation) -%}
    {%- if state is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set since = run_query("select scope_since from " ~ state).columns[0].values() -%}
    {%- if since | length == 0 or since[0] is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set landing = api.Relation.create(
        database=relation.database, schema=relation.schema, identifier='landing_sessions'
    ) -%}
    {{ return("session_id in (select session_id from " ~ landing ~ " where landed_through > "
              ~ "(select scope_since from " ~ state ~ "))") }}
{%- endmacro %}


{#- `relation` restricted by scope_filter. Data tests use it (generic ones through
    get_where_subquery), so an incremental run tests what it changed. -#}
{% macro scoped(relation, alias='scoped') -%}
    {%- set predicate = scope_filter(relation) -%}
    {%- if predicate == 'true' -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ return("(select * from " ~ relation ~ " where " ~ predicate ~ ") as " ~ alias) }}
{%- endmacro %}


{#- dbt calls this for every generic data test; scope it as above, then apply the
    test's own `where` config as dbt does. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set base = scoped(relation, 'dbt_scoped') if relation is not string else relation -%}
    {%- if where -%}
        {{ return("(select * from " ~ base ~ " where " ~ where ~ ") dbt_subquery") }}
    {%- endif -%}
    {{ return(base) }}
{%- endmacro %}


{#- The landed rows (typed like stg_events) of the sessions `events` re-derived in
    its last build: only their folders are read, so testing them stays cheap on an
    incremental run. -#}
{% macro scoped_landing_rows() -%}
    {%- set events = ref('events') -%}
    {%- set predicate = scope_filter(events) -%}
    {%- if predicate == 'true' -%}
        {{ return(ref('stg_events')) }}
    {%- endif -%}
    {%- set landing = api.Relation.create(
        database=events.database, schema=events.schema, identifier='landing_sessions'
    ) -%}
    {%- set sessions = run_query(
        "select session_id from " ~ landing ~ " where " ~ predicate ~ " order by 1"
    ).columns[0].values() | list -%}
    {{ return("(select " ~ typed_landing_columns() ~ " from " ~ landing_events_of(sessions) ~ ")") }}
{%- endmacro %}
