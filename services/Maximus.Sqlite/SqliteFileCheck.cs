using System.Text;
using Microsoft.Data.Sqlite;

namespace Maximus.Sqlite;

/// <summary>What <see cref="SqliteFileCheck.Run"/> found in one file; <see cref="Problem"/> is null for a healthy file.</summary>
/// <param name="Path">The file.</param>
/// <param name="SizeBytes">Its size, its <c>-wal</c> file included.</param>
/// <param name="Integrity"><c>PRAGMA integrity_check</c>'s answer (<c>ok</c>), or null when the file could not be opened.</param>
/// <param name="UserVersion"><c>PRAGMA user_version</c>: the schema version the store wrote (0 when it writes none).</param>
/// <param name="SchemaVersion"><c>PRAGMA schema_version</c>: SQLite's count of schema changes.</param>
/// <param name="Tables">The file's tables.</param>
/// <param name="Problem">What is wrong, in words.</param>
public sealed record SqliteFileReport(
    string Path, long SizeBytes, string? Integrity, long? UserVersion, long? SchemaVersion, IReadOnlyList<string> Tables, string? Problem)
{
    public bool Healthy => Problem is null;
}

/// <summary>Checks SQLite files without changing them: read-only, no WAL switch, no schema.</summary>
public static class SqliteFileCheck
{
    private static readonly byte[] Header = Encoding.ASCII.GetBytes("SQLite format 3\0");

    /// <summary>Whether <paramref name="path"/> starts with the SQLite header (an empty file counts as one SQLite would create).</summary>
    public static bool LooksLikeSqlite(string path)
    {
        Span<byte> start = stackalloc byte[16];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var read = stream.ReadAtLeast(start, 16, throwOnEndOfStream: false);
        return read == 0 || (read == 16 && start.SequenceEqual(Header));
    }

    /// <summary>Opens the file read-only and runs <c>PRAGMA integrity_check</c>; never throws for a bad file.</summary>
    public static SqliteFileReport Run(string path)
    {
        var size = Length(path) + Length(path + "-wal");
        try
        {
            using var connection = new SqliteFile(path, SqliteFileOptions.ReadOnly).Open();
            var tables = new List<string>();
            using (var command = Sql.Command(connection, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    tables.Add(reader.GetString(0));
                }
            }

            var integrity = new List<string>();
            using (var command = Sql.Command(connection, "PRAGMA integrity_check"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    integrity.Add(reader.GetString(0));
                }
            }

            var answer = string.Join("; ", integrity);
            var userVersion = Convert.ToInt64(Sql.Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
            var schemaVersion = Convert.ToInt64(Sql.Scalar(connection, "PRAGMA schema_version"), System.Globalization.CultureInfo.InvariantCulture);
            return new SqliteFileReport(path, size, answer, userVersion, schemaVersion, tables, answer == "ok" ? null : $"integrity_check: {answer}");
        }
        catch (SqliteException ex)
        {
            return new SqliteFileReport(path, size, null, null, null, [], DataFileException.Describe(ex) ?? $"SQLite error {ex.SqliteErrorCode}: {ex.Message}");
        }
    }

    private static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
}
