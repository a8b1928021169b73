using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Maximus.Memory.Vectors.Embedded;

/// <summary>
/// The embedded vector store's SQLite file (WAL): the source of truth for collections, vectors and payloads. Keeps a
/// small pool of open connections (pragmas set once) so that a payload fetch on the search path costs tens of µs.
/// </summary>
internal sealed class VectorDatabase : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS vector_collection (
            name TEXT PRIMARY KEY,
            dimension INTEGER NOT NULL,
            distance TEXT NOT NULL,
            payload_indexes TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 0,
            index_version INTEGER,
            created_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS vector_point (
            collection TEXT NOT NULL,
            id TEXT NOT NULL,
            slot INTEGER NOT NULL,
            vector BLOB NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (collection, id));
        CREATE UNIQUE INDEX IF NOT EXISTS vector_point_slot ON vector_point(collection, slot);
        """;

    private readonly string _connectionString;
    private readonly ConcurrentBag<SqliteConnection> _idle = [];
    private int _disposed;

    public VectorDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
        using var lease = Rent();
        Execute(lease.Connection, "PRAGMA journal_mode=WAL;");
        Execute(lease.Connection, Schema);
    }

    public string Path { get; }

    public Lease Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (!_idle.TryTake(out var connection))
        {
            connection = new SqliteConnection(_connectionString);
            connection.Open();
            Execute(connection, "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;");
        }

        return new Lease(this, connection);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        while (_idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }

    public static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    public static byte[] ToBlob(ReadOnlySpan<float> vector) => MemoryMarshal.AsBytes(vector).ToArray();

    /// <summary>Copies a vector blob (little-endian f32) into <paramref name="destination"/>.</summary>
    public static void ReadVector(SqliteDataReader reader, int ordinal, Span<float> destination)
    {
        var bytes = MemoryMarshal.AsBytes(destination);
        var read = reader.GetBytes(ordinal, 0, null, 0, 0);
        if (read != bytes.Length)
        {
            throw new InvalidDataException($"A stored vector has {read} bytes, expected {bytes.Length}.");
        }

        var buffer = new byte[bytes.Length];
        reader.GetBytes(ordinal, 0, buffer, 0, buffer.Length);
        buffer.CopyTo(bytes);
    }

    private void Return(SqliteConnection connection)
    {
        if (_disposed != 0 || _idle.Count >= 16)
        {
            connection.Dispose();
            return;
        }

        _idle.Add(connection);
    }

    public readonly struct Lease(VectorDatabase owner, SqliteConnection connection) : IDisposable
    {
        public SqliteConnection Connection { get; } = connection;

        public void Dispose() => owner.Return(Connection);
    }
}
