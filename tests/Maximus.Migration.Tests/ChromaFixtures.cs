using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Maximus.Migration.Tests;

/// <summary>The shared real Chroma directory, and generated ones with its schema (DDL copied from it at test time).</summary>
internal static class ChromaFixtures
{
    public static string? SharedDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Maximus.sln")))
            {
                var root = Path.Combine(dir.FullName, "..", "shared", "fixtures", "chroma");
                return Directory.Exists(root)
                    ? Directory.EnumerateDirectories(root).Where(d => File.Exists(Path.Combine(d, "chroma.sqlite3"))).Order(StringComparer.Ordinal).FirstOrDefault()
                    : null;
            }
        }

        return null;
    }

    /// <summary>The folder ../shared/fixtures/&lt;name&gt; next to the repository, or null when absent.</summary>
    public static string? SharedFixture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Maximus.sln")))
            {
                var path = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures", name));
                return Directory.Exists(path) ? path : null;
            }
        }

        return null;
    }

    /// <summary>
    /// A fresh folder under this test run's own temp folder, which goes when the run's process exits: the generated
    /// Chroma directories and migrated stores add up to ~100 MB a run, and left behind they filled the disk of a machine
    /// that runs the suite many times.
    /// </summary>
    public static string TempDirectory()
    {
        var path = Path.Combine(RunDirectory.Value, Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(path);
        return path;
    }

    private static readonly Lazy<string> RunDirectory = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), "maximus-migration-tests", $"run-{Environment.ProcessId}-{Guid.NewGuid():n}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A folder still held open (a Chroma server not yet gone) stays; it changes no test's outcome.
            }
        };
        return root;
    });

    /// <summary>A Chroma directory with one collection of <paramref name="count"/> records (vectors in the embeddings queue).</summary>
    public static string Generate(string shared, int count, int dimension = 8, string name = "notes")
    {
        var dir = TempDirectory();
        var ddl = new List<string>();
        using (var source = new SqliteConnection($"Data Source={Path.Combine(shared, "chroma.sqlite3")};Mode=ReadOnly;Pooling=False"))
        {
            source.Open();
            using var command = source.CreateCommand();
            command.CommandText = """
                SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
                  AND name NOT LIKE 'embedding_fulltext_search_%' ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid
                """;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                ddl.Add(reader.GetString(0));
            }
        }

        using var target = new SqliteConnection($"Data Source={Path.Combine(dir, "chroma.sqlite3")};Pooling=False;Foreign Keys=False");
        target.Open();
        Execute(target, "BEGIN");
        foreach (var statement in ddl)
        {
            Execute(target, statement);
        }

        const string collection = "11111111-2222-3333-4444-555555555555";
        const string metadataSegment = "aaaaaaaa-0000-0000-0000-000000000001";
        Execute(target, "INSERT INTO tenants (id) VALUES ('default_tenant')");
        Execute(target, "INSERT INTO databases (id, name, tenant_id) VALUES ('00000000-0000-0000-0000-000000000000', 'default_database', 'default_tenant')");
        Execute(target, $"INSERT INTO collections (id, name, dimension, database_id, config_json_str) VALUES ('{collection}', '{name}', {dimension}, '00000000-0000-0000-0000-000000000000', '{{}}')");
        Execute(target, $"INSERT INTO segments (id, type, scope, collection) VALUES ('{metadataSegment}', 'urn:chroma:segment/metadata/sqlite', 'METADATA', '{collection}')");
        Execute(target, $"INSERT INTO segments (id, type, scope, collection) VALUES ('aaaaaaaa-0000-0000-0000-000000000002', 'urn:chroma:segment/vector/hnsw-local-persisted', 'VECTOR', '{collection}')");
        for (var i = 1; i <= count; i++)
        {
            var id = $"rec-{i:D5}";
            Execute(target, "INSERT INTO embeddings (id, segment_id, embedding_id, seq_id) VALUES ($row, $s, $id, $row)", ("$row", i), ("$s", metadataSegment), ("$id", id));
            Execute(target, "INSERT INTO embedding_metadata (id, key, string_value) VALUES ($row, 'chroma:document', $doc)", ("$row", i), ("$doc", $"memory number {i}"));
            Execute(target, "INSERT INTO embedding_metadata (id, key, string_value) VALUES ($row, 'user_id', $u)", ("$row", i), ("$u", $"user-{i % 3}"));
            Execute(target, "INSERT INTO embedding_metadata (id, key, int_value) VALUES ($row, 'n', $row)", ("$row", i));
            Execute(target, "INSERT INTO embedding_metadata (id, key, float_value) VALUES ($row, 'score', $f)", ("$row", i), ("$f", i / 7.0));
            Execute(target, "INSERT INTO embedding_metadata (id, key, bool_value) VALUES ($row, 'even', $b)", ("$row", i), ("$b", i % 2 == 0 ? 1 : 0));
            var vector = new byte[dimension * 4];
            for (var d = 0; d < dimension; d++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(vector.AsSpan(d * 4), MathF.Sin(i * 0.37f + d) * 0.5f);
            }

            Execute(target, "INSERT INTO embeddings_queue (seq_id, operation, topic, id, vector, encoding, metadata) VALUES ($row, 0, $t, $id, $v, 'FLOAT32', '{}')",
                ("$row", i), ("$t", $"persistent://default_tenant/default_database/{collection}"), ("$id", id), ("$v", vector));
        }

        Execute(target, "INSERT INTO max_seq_id (segment_id, seq_id) VALUES ($s, $n)", ("$s", metadataSegment), ("$n", count));
        Execute(target, "COMMIT");

        // The vector segment's folder exists from the first write on; nothing flushed to it yet.
        Directory.CreateDirectory(Path.Combine(dir, "aaaaaaaa-0000-0000-0000-000000000002"));
        return dir;
    }

    private static void Execute(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (n, v) in parameters)
        {
            command.Parameters.AddWithValue(n, v);
        }

        command.ExecuteNonQuery();
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
