using Maximus.Sqlite;
using Microsoft.Data.Sqlite;

namespace Maximus.Runtime.Tests.Sqlite;

/// <summary>The shared SQLite helper every local store opens its file with (runtime, vectors, lexical index, outbox, migration).</summary>
public sealed class SqliteFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Fact]
    public void A_store_file_is_created_in_wal_mode_with_its_schema_and_every_connection_gets_the_pragmas()
    {
        var file = new SqliteFile(Path.Combine(_directory.Path, "nested", "store.db"), new SqliteFileOptions
        {
            ConnectionPragmas = SqliteFileOptions.DefaultConnectionPragmas + " PRAGMA foreign_keys=ON;",
            Schema = "CREATE TABLE IF NOT EXISTS item (id TEXT PRIMARY KEY, value INTEGER);",
        });

        using var first = file.Open();
        using var second = file.Open();

        Assert.True(File.Exists(file.Path));
        Assert.Equal("wal", Sql.Scalar(first, "PRAGMA journal_mode"));
        foreach (var connection in new[] { first, second })
        {
            Assert.Equal(10000L, Sql.Scalar(connection, "PRAGMA busy_timeout"));
            Assert.Equal(1L, Sql.Scalar(connection, "PRAGMA synchronous"));
            Assert.Equal(1L, Sql.Scalar(connection, "PRAGMA foreign_keys"));
        }

        Assert.Equal(1, Sql.Execute(first, "INSERT INTO item(id, value) VALUES ($id, $v)", ("$id", "a"), ("$v", 7)));
        Assert.Equal(7L, Sql.Scalar(second, "SELECT value FROM item WHERE id = $id", ("$id", "a")));
        Assert.Null(Sql.Scalar(second, "SELECT value FROM item WHERE id = $id", ("$id", "missing")));
    }

    [Fact]
    public void An_in_memory_file_is_not_switched_to_wal_and_gets_its_own_pragmas()
    {
        var file = new SqliteFile(SqliteFile.InMemory, new SqliteFileOptions { Pooling = false, ConnectionPragmas = "PRAGMA temp_store=MEMORY;" });

        using var connection = file.Open();

        Assert.Equal("memory", Sql.Scalar(connection, "PRAGMA journal_mode"));
        Assert.Equal(2L, Sql.Scalar(connection, "PRAGMA temp_store"));
    }

    [Fact]
    public void A_command_in_a_transaction_is_undone_when_the_transaction_is_not_committed()
    {
        var file = new SqliteFile(_directory.File("tx.db"), new SqliteFileOptions { Schema = "CREATE TABLE t (v TEXT);" });
        using var connection = file.Open();

        using (var transaction = connection.BeginTransaction())
        {
            Sql.Execute(transaction, "INSERT INTO t(v) VALUES ($v)", ("$v", "rolled back"));
            using var count = Sql.Command(transaction, "SELECT COUNT(*) FROM t");
            Assert.Equal(1L, count.ExecuteScalar());
        }

        Assert.Equal(0L, Sql.Scalar(connection, "SELECT COUNT(*) FROM t"));
    }

    [Fact]
    public void A_bound_list_keeps_values_out_of_the_sql_text()
    {
        var file = new SqliteFile(_directory.File("list.db"), new SqliteFileOptions { Schema = "CREATE TABLE t (v TEXT);" });
        using var connection = file.Open();
        foreach (var value in new[] { "a", "it's", "x') OR 1=1 --", "b" })
        {
            Sql.Execute(connection, "INSERT INTO t(v) VALUES ($v)", ("$v", value));
        }

        using var command = Sql.Command(connection, string.Empty);
        var names = Sql.BindList(command, "$p", new[] { "it's", "b", "x') OR 1=1 --" });
        command.CommandText = $"SELECT v FROM t WHERE v IN ({names}) ORDER BY v";
        var found = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                found.Add(reader.GetString(0));
            }
        }

        Assert.Equal("$p0,$p1,$p2", names);
        Assert.Equal(["b", "it's", "x') OR 1=1 --"], found);
    }

    [Fact]
    public void A_read_only_file_refuses_writes_and_is_not_created()
    {
        var path = _directory.File("existing.db");
        using (var writer = new SqliteFile(path, new SqliteFileOptions { Pooling = false, Schema = "CREATE TABLE t (v TEXT);" }).Open())
        {
            Sql.Execute(writer, "INSERT INTO t(v) VALUES ('kept')");
        }

        using var reader = new SqliteFile(path, SqliteFileOptions.ReadOnly).Open();

        Assert.Equal("kept", Sql.Scalar(reader, "SELECT v FROM t"));
        Assert.Throws<SqliteException>(() => Sql.Execute(reader, "INSERT INTO t(v) VALUES ('lost')"));
        Assert.Throws<SqliteException>(() => new SqliteFile(_directory.File("absent.db"), SqliteFileOptions.ReadOnly).Open());
    }

    public void Dispose() => _directory.Dispose();
}
