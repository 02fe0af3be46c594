"""The store's one dialect layer: SQL is written once, in DuckDB's dialect, and translated for
PostgreSQL by sqlglot (https://sqlglot.com), once per distinct statement (cached).

Why a transpiler rather than SQLAlchemy Core or hand-written portable SQL: the store's ~150
statements and its migrations stay plain, readable SQL that DuckDB runs as written (the
default backend pays nothing), and the differences that matter (``?`` against ``%s``
placeholders, ``year()``, ``list_contains``, ``INTERVAL 1 DAY``, ``DOUBLE``, ``VARCHAR[]``,
``x::T`` casts) are rewritten by a maintained library instead of by hand. The few constructs
that have no PostgreSQL translation are written in the portable subset instead (docs/store.md).
"""

from __future__ import annotations

from functools import lru_cache


def _postgres_dialect():
    from sqlglot import exp
    from sqlglot.dialects.postgres import Postgres

    def array_contains(generator, expression: exp.ArrayContains) -> str:
        # one placeholder stays one placeholder (sqlglot's default repeats the needle)
        needle = generator.sql(expression, "expression")
        return f"({needle} = ANY({generator.sql(expression, 'this')}))"

    class KelisimPostgres(Postgres):
        class Generator(Postgres.Generator):
            TRANSFORMS = {**Postgres.Generator.TRANSFORMS, exp.ArrayContains: array_contains}

    return KelisimPostgres


@lru_cache(maxsize=4096)
def to_postgres(sql: str, parameters: bool = True) -> str:
    """``sql`` (DuckDB's dialect, ``?`` placeholders, one or more statements) as PostgreSQL
    (``%s`` placeholders; with ``parameters``, a literal ``%`` doubled as psycopg wants; an
    empty list ``[]`` typed as text, the type of every list column)."""
    import sqlglot
    from sqlglot import exp

    dialect = _postgres_dialect()
    statements = sqlglot.parse(sql, read="duckdb")
    texts = []
    for statement in statements:
        if statement is None:
            continue
        for empty in [a for a in statement.find_all(exp.Array) if not a.expressions]:
            empty.replace(exp.cast(empty.copy(), "TEXT[]"))  # DuckDB's [] is typed by use
        for literal in statement.find_all(exp.Literal):
            if parameters and literal.is_string and "%" in literal.this:
                literal.set("this", literal.this.replace("%", "%%"))
        texts.append(statement.sql(dialect=dialect, comments=False))
    return ";\n".join(texts)
