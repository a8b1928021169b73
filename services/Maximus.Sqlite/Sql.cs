using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Maximus.Sqlite;

/// <summary>Command helpers: SQL with named parameters (<c>("$name", value)</c>, null stored as NULL).</summary>
public static class Sql
{
    /// <summary>A command on <paramref name="connection"/>; the caller disposes it.</summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>A command that runs inside <paramref name="transaction"/>; the caller disposes it.</summary>
    public static SqliteCommand Command(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var command = Command(transaction.Connection!, sql, parameters);
        command.Transaction = transaction;
        return command;
    }

    /// <summary>
    /// Binds <paramref name="values"/> as <c>{prefix}0</c>, <c>{prefix}1</c>, … on <paramref name="command"/> and returns
    /// their names joined by commas, for an <c>IN (…)</c> list (values never enter the SQL text).
    /// </summary>
    public static string BindList<T>(SqliteCommand command, string prefix, IEnumerable<T> values)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(values);
        var names = new StringBuilder();
        var i = 0;
        foreach (var value in values)
        {
            var name = prefix + i.ToString(CultureInfo.InvariantCulture);
            names.Append(i++ == 0 ? "" : ",").Append(name);
            command.Parameters.AddWithValue(name, (object?)value ?? DBNull.Value);
        }

        return names.ToString();
    }

    /// <summary>Runs a statement; the number of rows it changed.</summary>
    public static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Runs a statement inside <paramref name="transaction"/>; the number of rows it changed.</summary>
    public static int Execute(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>
    /// Copies a WAL file's frames into the database and truncates the <c>-wal</c> file to zero bytes, so that rows deleted
    /// under <c>PRAGMA secure_delete=ON</c> leave no older copy of their pages behind. False when a reader kept the
    /// checkpoint from finishing (the log is then truncated by a later call); true for a file not in WAL mode.
    /// </summary>
    public static bool CheckpointTruncate(SqliteConnection connection)
    {
        using var command = Command(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        using var reader = command.ExecuteReader();
        return !reader.Read() || reader.GetInt64(0) == 0;
    }

    /// <summary>The first column of the first row; null when there is no row or it is NULL.</summary>
    public static object? Scalar(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar() is var value and not DBNull ? value : null;
    }

    /// <summary>The first column of the first row, read asynchronously; null when there is no row or it is NULL.</summary>
    public static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }
}
