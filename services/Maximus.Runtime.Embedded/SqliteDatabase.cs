using Maximus.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Maximus.Runtime.Embedded;

/// <summary>The embedded runtime's SQLite file (WAL): key/value state, workflow instances and journal, dead letters.</summary>
public sealed class SqliteDatabase
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            etag INTEGER NOT NULL,
            updated_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS workflow_instance (
            instance_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            input TEXT,
            output TEXT,
            custom_status TEXT,
            failure TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            generation INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS ix_workflow_instance_status ON workflow_instance(status);
        CREATE TABLE IF NOT EXISTS workflow_journal (
            instance_id TEXT NOT NULL,
            generation INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            input TEXT,
            output TEXT,
            status TEXT NOT NULL,
            runs INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            completed_at TEXT,
            error TEXT,
            PRIMARY KEY (instance_id, generation, seq));
        CREATE TABLE IF NOT EXISTS workflow_event (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            instance_id TEXT NOT NULL,
            name TEXT NOT NULL,
            payload TEXT,
            consumed_seq INTEGER,
            raised_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS actor_state (
            actor_type TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            expires_at TEXT,
            PRIMARY KEY (actor_type, actor_id, name));
        CREATE TABLE IF NOT EXISTS dead_letter (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            topic TEXT NOT NULL,
            payload TEXT NOT NULL,
            error TEXT NOT NULL,
            at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS event_pending (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            topic TEXT NOT NULL,
            bulk INTEGER NOT NULL,
            payloads TEXT NOT NULL);
        """;

    private readonly SqliteFile _file;
    private readonly HandOffGate _writeGate = new();

    public SqliteDatabase(IOptions<EmbeddedRuntimeOptions> options)
        : this(options.Value.DatabasePath)
    {
    }

    public SqliteDatabase(string path)
    {
        Path = path;
        _file = new SqliteFile(path, new SqliteFileOptions
        {
            Cache = SqliteCacheMode.Private,
            ConnectionPragmas = SqliteFileOptions.DefaultConnectionPragmas + " PRAGMA foreign_keys=ON;",
            Schema = Schema,
        });
    }

    public string Path { get; }

    /// <summary>Opens a pooled connection with the per-connection pragmas set.</summary>
    public SqliteConnection Open() => _file.Open();

    /// <summary>
    /// Runs a write (a statement or a transaction) on a connection of its own, one writer of this process at a time. SQLite
    /// takes one writer anyway; the others would meet its lock and poll for it in <c>busy_timeout</c>, sleeping up to 100 ms
    /// between tries and in no order, so that a request's one short write waited behind dozens of missions' journal writes
    /// for up to a second. Here they wait on a gate that wakes the next waiter at once, never spins, and hands over in arrival
    /// order to a waiter that has waited long (<see cref="HandOffGate"/>). Another process on the same file still meets the
    /// busy timeout.
    /// </summary>
    public T Write<T>(Func<SqliteConnection, T> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var connection = Open();
        _writeGate.Enter();
        try
        {
            return write(connection);
        }
        finally
        {
            _writeGate.Exit();
        }
    }

    public static string Now() => DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
}
