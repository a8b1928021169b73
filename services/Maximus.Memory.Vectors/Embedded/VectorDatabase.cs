using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;

namespace Maximus.Memory.Vectors.Embedded;

/// <summary>
/// The embedded vector store's SQLite file (WAL): the source of truth for collections, vectors and payloads. Keeps a
/// small pool of open connections (pragmas set once) so that a payload fetch on the search path costs tens of µs.
/// Each connection has its own page cache (<see cref="CacheKiB"/>): the pool is kept to <see cref="MaxIdle"/> connections
/// so that caches times connections stays bounded (64 MiB per connection and up to 16 pooled made 1 GiB of the host's
/// 2 GiB at 100k memories under 50 concurrent searches).
/// Freed pages are zeroed (<c>secure_delete</c>) and <see cref="Checkpoint"/> truncates the log after a delete, so that a
/// deleted point's payload (its text) leaves no copy in the file or its <c>-wal</c>.
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
            created_at TEXT NOT NULL,
            text_field TEXT,
            embedding_model TEXT);
        CREATE TABLE IF NOT EXISTS vector_point (
            collection TEXT NOT NULL,
            id TEXT NOT NULL,
            slot INTEGER NOT NULL,
            vector BLOB NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (collection, id));
        CREATE UNIQUE INDEX IF NOT EXISTS vector_point_slot ON vector_point(collection, slot);
        """;

    /// <summary>Page cache per connection, KiB.</summary>
    public const int CacheKiB = 16 * 1024;

    /// <summary>Connections kept open between uses; more are opened under load and closed when returned.</summary>
    public static int MaxIdle { get; } = Math.Clamp(2 * Environment.ProcessorCount, 4, 16);

    private readonly SqliteFile _file;
    private readonly ConcurrentBag<SqliteConnection> _idle = [];
    private int _disposed;

    public VectorDatabase(string path)
    {
        _file = new SqliteFile(path, new SqliteFileOptions
        {
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            ConnectionPragmas = SqliteFileOptions.DefaultConnectionPragmas + $" PRAGMA cache_size=-{CacheKiB}; PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;",
            Schema = Schema,
        });

        // Files written before keyword search lack the text-field column of their collections, files written before
        // collections recorded their embedding model the model column (their collections adopt the next model ensured).
        using var lease = Rent();
        AddColumnIfMissing(lease.Connection, "text_field");
        AddColumnIfMissing(lease.Connection, "embedding_model");
    }

    private static void AddColumnIfMissing(SqliteConnection connection, string column)
    {
        if (Convert.ToInt64(Sql.Scalar(connection, "SELECT COUNT(*) FROM pragma_table_info('vector_collection') WHERE name = $n", ("$n", column)), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            Sql.Execute(connection, $"ALTER TABLE vector_collection ADD COLUMN {column} TEXT");
        }
    }

    public string Path => _file.Path;

    public Lease Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return new Lease(this, _idle.TryTake(out var connection) ? connection : _file.Open());
    }

    /// <summary>Checkpoints the write-ahead log and truncates it to zero bytes; false when a reader kept it from finishing.</summary>
    public bool Checkpoint()
    {
        using var lease = Rent();
        return Sql.CheckpointTruncate(lease.Connection);
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

    public static byte[] ToBlob(ReadOnlySpan<float> vector) => MemoryMarshal.AsBytes(vector).ToArray();

    /// <summary>A point as <see cref="ReadPoints"/> reads it: slot, id, vector (valid during the call), payload (UTF-8 JSON, the caller's).</summary>
    public delegate void PointReader(int slot, string id, ReadOnlySpan<float> vector, byte[] payloadUtf8);

    /// <summary>
    /// Every point of a collection in slot order, read by the SQLite statement itself rather than a data reader: the vector
    /// is read in place from the row (the data reader's way copied each 1.5 KB vector twice, some 300 MB of garbage for
    /// 100k points), the payload copied once into the array handed over.
    /// </summary>
    public static void ReadPoints(SqliteConnection connection, string collection, int dimension, PointReader read)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(db, SQLitePCL.raw.sqlite3_prepare_v2(db, "SELECT slot, id, vector, payload FROM vector_point WHERE collection = ?1 ORDER BY slot", out var statement));
        using (statement)
        {
            Check(db, SQLitePCL.raw.sqlite3_bind_text(statement, 1, collection));
            var bytes = dimension * sizeof(float);
            int step;
            while ((step = SQLitePCL.raw.sqlite3_step(statement)) == SQLitePCL.raw.SQLITE_ROW)
            {
                var slot = SQLitePCL.raw.sqlite3_column_int(statement, 0);
                var id = SQLitePCL.raw.sqlite3_column_text(statement, 1).utf8_to_string();
                var vector = SQLitePCL.raw.sqlite3_column_blob(statement, 2);
                if (vector.Length != bytes)
                {
                    throw new InvalidDataException($"The stored vector of point '{id}' has {vector.Length} bytes, expected {bytes}.");
                }

                var payload = SQLitePCL.raw.sqlite3_column_blob(statement, 3).ToArray(); // the TEXT column's UTF-8 bytes
                read(slot, id, MemoryMarshal.Cast<byte, float>(vector), payload);
            }

            Check(db, step == SQLitePCL.raw.SQLITE_DONE ? SQLitePCL.raw.SQLITE_OK : step);
        }

        static void Check(SQLitePCL.sqlite3 db, int result)
        {
            if (result != SQLitePCL.raw.SQLITE_OK)
            {
                throw new SqliteException($"SQLite Error {result}: '{SQLitePCL.raw.sqlite3_errmsg(db).utf8_to_string()}'.", result, SQLitePCL.raw.sqlite3_extended_errcode(db));
            }
        }
    }

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
        if (_disposed != 0 || _idle.Count >= MaxIdle)
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
