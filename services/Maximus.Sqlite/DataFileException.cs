using Microsoft.Data.Sqlite;

namespace Maximus.Sqlite;

/// <summary>
/// A SQLite file of the data directory that cannot be used: not a database, corrupt, or not writable. The message names
/// the file and what to do; hosts exit on it with <see cref="ExitCode"/> instead of restarting into the same failure.
/// </summary>
public sealed class DataFileException(string path, string problem, Exception? inner = null)
    : IOException($"The SQLite file {path} {problem}. Move it aside or restore it from a backup, then start again; 'maximus doctor --data-dir {System.IO.Path.GetDirectoryName(path)}' checks every file of the folder.", inner)
{
    /// <summary>The exit code of a process that stops on an unusable data file (the CLI uses 1–3 for other ends).</summary>
    public const int ExitCode = 4;

    public string Path { get; } = path;

    /// <summary>The first <see cref="DataFileException"/> in <paramref name="exception"/> and its inner exceptions.</summary>
    public static DataFileException? Find(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DataFileException found)
            {
                return found;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.Select(Find).FirstOrDefault(f => f is not null) is { } inAggregate)
            {
                return inAggregate;
            }
        }

        return null;
    }

    /// <summary>Whether SQLite failed on the disk rather than on the statement: full, an I/O error (EFBIG, ENOSPC), read-only, corrupt, unopenable.</summary>
    public static bool IsStorageFailure(SqliteException exception) =>
        exception.SqliteErrorCode is SQLitePCL.raw.SQLITE_FULL or SQLitePCL.raw.SQLITE_IOERR or SQLitePCL.raw.SQLITE_READONLY
            or SQLitePCL.raw.SQLITE_CORRUPT or SQLitePCL.raw.SQLITE_NOTADB or SQLitePCL.raw.SQLITE_CANTOPEN;

    /// <summary>What SQLite's error means for the file, or null when it says nothing about the file itself.</summary>
    public static string? Describe(SqliteException exception) => exception.SqliteErrorCode switch
    {
        SQLitePCL.raw.SQLITE_NOTADB => "is not a SQLite database (SQLite: file is not a database)",
        SQLitePCL.raw.SQLITE_CORRUPT => "is corrupt (SQLite: database disk image is malformed)",
        SQLitePCL.raw.SQLITE_CANTOPEN => "cannot be opened (SQLite: unable to open database file)",
        SQLitePCL.raw.SQLITE_READONLY => "is read-only (SQLite: attempt to write a readonly database)",
        _ => null,
    };
}
