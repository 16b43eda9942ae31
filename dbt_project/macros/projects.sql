{#
  Projects: every session belongs to one (project_id), and a session id is unique
  within its project only, so every per-session rule partitions and joins on
  (project_id, session_id), and rules that span sessions (clusters, agent totals,
  incidents) stay inside one project.
#}

{#- A session as one string, for ids hashed from it: its bare id in project `default`
    (so ids derived before projects existed stay the same), '<project>/<session>'
    elsewhere ('/' is in neither id). `q` is a column qualifier such as 'ranked.'. -#}
{% macro qualified_session_id(q='') -%}
    case
        when {{ q }}project_id = 'default' then {{ q }}session_id
        else {{ q }}project_id || '/' || {{ q }}session_id
    end
{%- endmacro %}


{#- The same for a project-wide id (a cluster, an agent, an incident key): unchanged
    in project `default`, prefixed with '<project>/' elsewhere. -#}
{% macro qualified_in_project(expr, q='') -%}
    case
        when {{ q }}project_id = 'default' then {{ expr }}
        else {{ q }}project_id || '/' || {{ expr }}
    end
{%- endmacro %}
