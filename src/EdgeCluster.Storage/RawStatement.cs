using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace EdgeCluster.Storage;

/// <summary>
/// A statement prepared once on a connection's own SQLite handle, its parameters bound by position. Microsoft.Data.Sqlite
/// binds every parameter by name on every execution (<c>sqlite3_bind_parameter_index</c>, the name converted to UTF-8
/// each time): on the read model's row insert that was over a third of the read-model writer's time (profile in
/// docs/benchmarks.md). The read-model writer runs its statements for every reading (the row) and for every device of a
/// transaction (its last-seen row, its rollup buckets) through this. A statement takes part in the connection's open
/// transaction like any command on it, and must be disposed before the connection is.
/// </summary>
public sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    /// <summary>The position of a named parameter (<c>$name</c>), looked up once where the statement is prepared.</summary>
    public int IndexOf(string name)
    {
        var index = raw.sqlite3_bind_parameter_index(_statement, name);
        return index > 0 ? index : throw new ArgumentException($"the statement has no parameter {name}", nameof(name));
    }

    /// <summary>Parameters are numbered from 1, in the order they appear in the SQL.</summary>
    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public void Bind(int index, double value) => Check(raw.sqlite3_bind_double(_statement, index, value));

    /// <summary>Text already in UTF-8 (SQLite copies it).</summary>
    public void Bind(int index, ReadOnlySpan<byte> utf8) => Check(raw.sqlite3_bind_text(_statement, index, utf8));

    public void BindNull(int index) => Check(raw.sqlite3_bind_null(_statement, index));

    public void Bind(int index, double? value)
    {
        if (value is { } v) Bind(index, v);
        else BindNull(index);
    }

    public void Bind(int index, string? value)
    {
        if (value is null) BindNull(index);
        else Check(raw.sqlite3_bind_text(_statement, index, value));
    }

    /// <summary>Runs the statement to its end and makes it ready to run again; the rows it changed.</summary>
    public int Execute()
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW) { }
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, _db);
            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public void Dispose() => _statement.Dispose();
}
