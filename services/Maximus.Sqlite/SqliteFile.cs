using Microsoft.Data.Sqlite;

namespace Maximus.Sqlite;

/// <summary>
/// A SQLite file of one store: how it is opened, the pragmas each connection gets and the schema, set up once. Writers
/// that meet a lock wait (the <c>busy_timeout</c> pragma) rather than retry. <c>":memory:"</c> names a private in-memory
/// database (no folder, no WAL, no schema: it lives only as long as the connection).
/// </summary>
public sealed class SqliteFile
{
    public const string InMemory = ":memory:";

    private readonly string _connectionString;
    private readonly string? _connectionPragmas;

    /// <summary>Creates the folder when asked, switches the file to WAL and creates the schema (per <paramref name="options"/>).</summary>
    public SqliteFile(string path, SqliteFileOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new SqliteFileOptions();
        var inMemory = path == InMemory;
        if (inMemory && options.Schema is not null)
        {
            throw new ArgumentException("An in-memory database lives only as long as its connection: create its schema on the connection Open returns.", nameof(options));
        }

        Path = inMemory ? path : System.IO.Path.GetFullPath(path);
        if (!inMemory && options.CreateDirectory)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        }

        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = options.Mode,
            Cache = options.Cache,
            Pooling = options.Pooling,
            DefaultTimeout = options.DefaultTimeout,
        }.ToString();
        _connectionPragmas = options.ConnectionPragmas;
        var wal = !inMemory && options.WriteAheadLog;
        if (wal || options.Schema is not null)
        {
            try
            {
                using var connection = Open();
                if (wal)
                {
                    Sql.Execute(connection, "PRAGMA journal_mode=WAL;");
                }

                if (options.Schema is { } schema)
                {
                    Sql.Execute(connection, schema);
                }
            }
            catch (SqliteException ex) when (DataFileException.Describe(ex) is { } problem)
            {
                // Named here, once, rather than as a stack trace from whichever store touched the file first.
                throw new DataFileException(Path, problem, ex);
            }
        }
    }

    /// <summary>The full path of the file (or <c>":memory:"</c>).</summary>
    public string Path { get; }

    /// <summary>Opens a new connection with the per-connection pragmas set; the caller disposes it.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            if (_connectionPragmas is { } pragmas)
            {
                Sql.Execute(connection, pragmas);
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
