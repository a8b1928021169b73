using Maximus.Sqlite;

namespace Maximus.Migration;

/// <summary>
/// A snapshot of the embedded vector store before a migration writes to it or a cut-over: the SQLite file is copied with
/// SQLite's online backup (consistent while the store is open, WAL included), the HNSW index files beside it are copied as
/// they are (they are rebuilt from SQLite when stale). Restore: stop the service and copy the snapshot's files back.
/// </summary>
public static class EmbeddedSnapshot
{
    /// <summary>Copies <paramref name="databasePath"/> and its index files into a new timestamped folder under <paramref name="snapshotRoot"/>; null when there is no database yet.</summary>
    public static string? Create(string databasePath, string snapshotRoot, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(databasePath);
        ArgumentNullException.ThrowIfNull(snapshotRoot);
        if (!File.Exists(databasePath))
        {
            return null;
        }

        var stamp = (time ?? TimeProvider.System).GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var folder = Path.Combine(snapshotRoot, stamp);
        Directory.CreateDirectory(folder);
        var fileName = Path.GetFileName(databasePath);
        using (var from = new SqliteFile(databasePath, SqliteFileOptions.ReadOnly).Open())
        using (var to = new SqliteFile(Path.Combine(folder, fileName), SqliteFileOptions.Bare).Open())
        {
            from.BackupDatabase(to);
        }

        foreach (var index in Directory.EnumerateFiles(Path.GetDirectoryName(databasePath)!, fileName + ".*.usearch"))
        {
            File.Copy(index, Path.Combine(folder, Path.GetFileName(index)));
        }

        return folder;
    }
}
