using System.CommandLine;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;

namespace Maximus.Cli.Commands;

/// <summary>
/// <c>maximus doctor [--data-dir d] [--json]</c>: checks the data directory without changing it. Every SQLite file in it
/// (opens read-only, <c>PRAGMA integrity_check</c>, schema versions), the free space of its disk, which of the files
/// the embedded runtime prepares are there, and the embedded vector store's collections with the embedding model each
/// records (a model other than the configured one stops the memory role: <c>maximus memory reembed</c>). Exit 0 when healthy, 1 when something is wrong.
/// </summary>
internal static class DoctorCommand
{
    /// <summary>Below this much free space the disk is reported as a problem (SQLite needs room for its WAL and checkpoints).</summary>
    public const long MinimumFreeBytes = 64L * 1024 * 1024;

    /// <summary>The files the embedded runtime prepares in its data directory, and what each holds.</summary>
    public static IReadOnlyList<(string File, string Holds)> PreparedFiles { get; } =
    [
        ("maximus.db", "state, workflows, actors, event bus"),
        (new EmbeddedVectorStoreOptions().FileName, "memory (vectors and payloads)"),
        ("reflection-outbox.db", "reflection logs waiting for the reflector"),
    ];

    public static Command Create(Option<string> dataDir)
    {
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };
        var command = new Command("doctor", "Check the data directory: every SQLite file (integrity, schema version), free space, the prepared files. Exit 0 healthy, 1 problems.")
        {
            json,
        };
        command.SetAction(result =>
        {
            var report = Check(Path.GetFullPath(result.GetValue(dataDir)!));
            if (result.GetValue(json))
            {
                CliOutput.Json(report);
            }
            else
            {
                Print(report);
            }

            return report.Healthy ? ExitCodes.Ok : ExitCodes.MissionFailed;
        });
        return command;
    }

    public static DoctorReport Check(string directory)
    {
        var problems = new List<string>();
        if (!Directory.Exists(directory))
        {
            return new DoctorReport(directory, false, null, [], [], [$"{directory} does not exist (it is created on the first start)."]) { VectorCollections = [] };
        }

        var files = new List<SqliteFileReport>();
        foreach (var path in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (path.EndsWith("-wal", StringComparison.Ordinal) || path.EndsWith("-shm", StringComparison.Ordinal) || path.EndsWith("-journal", StringComparison.Ordinal))
            {
                continue;
            }

            var looksLikeDatabase = path.EndsWith(".db", StringComparison.Ordinal) || path.EndsWith(".sqlite", StringComparison.Ordinal) || path.EndsWith(".sqlite3", StringComparison.Ordinal);
            if (!looksLikeDatabase && !SqliteFileCheck.LooksLikeSqlite(path))
            {
                continue;
            }

            var file = SqliteFileCheck.Run(path);
            files.Add(file);
            if (file.Problem is { } problem)
            {
                problems.Add($"{path} {problem}.");
            }
        }

        long? free = null;
        try
        {
            free = new DriveInfo(directory).AvailableFreeSpace;
            if (free < MinimumFreeBytes)
            {
                problems.Add($"The disk of {directory} has {free / (1024 * 1024)} MiB free; SQLite needs room to write (at least {MinimumFreeBytes / (1024 * 1024)} MiB).");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            problems.Add($"The free space of {directory} could not be read: {ex.Message}");
        }

        var prepared = PreparedFiles
            .Select(p => new PreparedFile(p.File, p.Holds, File.Exists(Path.Combine(directory, p.File))))
            .ToList();
        var vectors = files.FirstOrDefault(f => f.Healthy && f.Path == Path.Combine(directory, new EmbeddedVectorStoreOptions().FileName));
        return new DoctorReport(directory, problems.Count == 0, free, files, prepared, problems)
        {
            VectorCollections = vectors is null ? [] : VectorCollections(vectors.Path),
        };
    }

    /// <summary>The embedded vector store's collections (read-only): points, dimension and recorded embedding model.</summary>
    private static List<VectorCollectionReport> VectorCollections(string path)
    {
        var collections = new List<VectorCollectionReport>();
        try
        {
            using var connection = new SqliteFile(path, SqliteFileOptions.ReadOnly).Open();
            var hasModel = Convert.ToInt64(Sql.Scalar(connection, "SELECT COUNT(*) FROM pragma_table_info('vector_collection') WHERE name = 'embedding_model'"), System.Globalization.CultureInfo.InvariantCulture) > 0;
            using var command = Sql.Command(
                connection,
                $"SELECT c.name, c.dimension, {(hasModel ? "c.embedding_model" : "NULL")}, (SELECT COUNT(*) FROM vector_point p WHERE p.collection = c.name) FROM vector_collection c ORDER BY c.name");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                collections.Add(new VectorCollectionReport(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3)));
            }
        }
        catch (SqliteException)
        {
            // Not (yet) a vector store's file: the file check above says what is wrong with it, if anything.
        }

        return collections;
    }

    private static void Print(DoctorReport report)
    {
        Console.Out.WriteLine($"data directory {report.DataDirectory}");
        foreach (var file in report.Files)
        {
            var state = file.Healthy ? $"ok (user_version {file.UserVersion}, schema_version {file.SchemaVersion}, {file.Tables.Count} tables)" : "PROBLEM: " + file.Problem;
            Console.Out.WriteLine($"  {Path.GetRelativePath(report.DataDirectory, file.Path),-28} {file.SizeBytes,12:N0} B  {state}");
        }

        foreach (var file in report.Prepared)
        {
            Console.Out.WriteLine($"  {file.File,-28} {(file.Present ? "present" : "not created yet")}: {file.Holds}");
        }

        foreach (var collection in report.VectorCollections)
        {
            Console.Out.WriteLine(
                $"  vector collection {collection.Name}: {collection.Points:N0} points, {collection.Dimension} dimensions, embedding model {collection.EmbeddingModel ?? "not recorded (adopts the next one configured)"}");
        }

        Console.Out.WriteLine(report.FreeBytes is { } free ? $"  free space {free / (1024 * 1024):N0} MiB" : "  free space unknown");
        foreach (var problem in report.Problems)
        {
            Console.Error.WriteLine($"problem: {problem}");
        }

        Console.Out.WriteLine(report.Healthy ? "healthy" : $"{report.Problems.Count} problem(s)");
    }
}

/// <summary>The doctor's answer; <see cref="Problems"/> says in words what is wrong.</summary>
internal sealed record DoctorReport(
    string DataDirectory, bool Healthy, long? FreeBytes, IReadOnlyList<SqliteFileReport> Files, IReadOnlyList<PreparedFile> Prepared, IReadOnlyList<string> Problems)
{
    /// <summary>The embedded vector store's collections and the embedding model each records.</summary>
    public IReadOnlyList<VectorCollectionReport> VectorCollections { get; init; } = [];
}

/// <summary>A collection of the embedded vector store: its points, dimension and recorded embedding model (null: none yet).</summary>
internal sealed record VectorCollectionReport(string Name, int Dimension, string? EmbeddingModel, long Points);

/// <summary>A file the embedded runtime prepares, and whether it is there.</summary>
internal sealed record PreparedFile(string File, string Holds, bool Present);
