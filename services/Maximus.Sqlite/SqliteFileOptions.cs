using Microsoft.Data.Sqlite;

namespace Maximus.Sqlite;

/// <summary>How a store opens its SQLite file. The defaults are those of a read-write store in WAL mode.</summary>
public sealed record SqliteFileOptions
{
    /// <summary>The pragmas every store sets on each connection it opens: a lost power may lose the last commits but never corrupts (WAL), and a writer waits up to 10 s for another.</summary>
    public const string DefaultConnectionPragmas = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;";

    /// <summary>A file as it is: no pool, no WAL switch, no pragmas, no schema, no folder created (a backup's target).</summary>
    public static SqliteFileOptions Bare { get; } = new()
    {
        Pooling = false,
        WriteAheadLog = false,
        ConnectionPragmas = null,
        CreateDirectory = false,
    };

    /// <summary>Read-only access to an existing file, as it is: snapshots and foreign databases.</summary>
    public static SqliteFileOptions ReadOnly { get; } = Bare with { Mode = SqliteOpenMode.ReadOnly };

    public SqliteOpenMode Mode { get; init; } = SqliteOpenMode.ReadWriteCreate;

    public SqliteCacheMode Cache { get; init; } = SqliteCacheMode.Default;

    /// <summary>Whether closed connections go back to Microsoft.Data.Sqlite's pool (a store that keeps its own connections says no).</summary>
    public bool Pooling { get; init; } = true;

    /// <summary>Seconds a command may run.</summary>
    public int DefaultTimeout { get; init; } = 30;

    /// <summary>Whether the file is switched to WAL journaling when it is opened first (the mode is stored in the file).</summary>
    public bool WriteAheadLog { get; init; } = true;

    /// <summary>Pragmas run on every connection after it opens; null for none.</summary>
    public string? ConnectionPragmas { get; init; } = DefaultConnectionPragmas;

    /// <summary>DDL run once when the file is opened first (<c>CREATE … IF NOT EXISTS</c>); null for none.</summary>
    public string? Schema { get; init; }

    /// <summary>Whether the file's folder is created when it is missing.</summary>
    public bool CreateDirectory { get; init; } = true;
}
