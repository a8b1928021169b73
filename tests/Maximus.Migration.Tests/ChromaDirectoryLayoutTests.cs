using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Migration.Chroma;

namespace Maximus.Migration.Tests;

/// <summary>Real Chroma directory layouts (HNSW segment + pickled id map + log replay), generated here without any shared fixture.</summary>
public sealed class ChromaDirectoryLayoutTests : IDisposable
{
    private readonly List<EmbeddedVectorStore> _stores = [];

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }
    }

    private static float[] Vector(int seed, int dimension) =>
        [.. Enumerable.Range(0, dimension).Select(d => MathF.Sin((seed * 1.7f) + (d * 0.9f)) * (1 + (seed % 3)))];

    private static JsonObject Meta(int i) => new() { ["user_id"] = $"user-{i % 3}", ["n"] = i, ["score"] = i / 8.0, ["even"] = i % 2 == 0 };

    /// <summary>A segment of 30 records (two deleted before the flush) and a log that exercises every operation.</summary>
    private static LayoutCollection History(string name, int dimension, string space, bool python = false)
    {
        var persisted = Enumerable.Range(0, 30).Select(i => ($"{name}-{i}", Vector(i, dimension), i % 7 == 0 ? null : $"doc {i} ✓", i % 5 == 0 ? null : Meta(i))).ToList();
        return new LayoutCollection(name, dimension, space)
        {
            Persisted = persisted,
            DeletedBeforeFlush = [$"{name}-3", $"{name}-4"],
            AlreadyApplied = [new LogWrite(1, $"{name}-5", Vector(999, dimension), "stale")],
            Log =
            [
                new LogWrite(0, $"{name}-30", Vector(30, dimension), "new 30", Meta(30)),
                new LogWrite(0, $"{name}-31", Vector(31, dimension)),
                new LogWrite(1, $"{name}-6", Vector(106, dimension), "updated 6", new JsonObject { ["revision"] = 2 }),
                new LogWrite(1, $"{name}-7", null, "metadata-only update"),
                new LogWrite(2, $"{name}-8", Vector(108, dimension), "upserted 8"),
                new LogWrite(2, $"{name}-32", Vector(32, dimension), "upserted new"),
                new LogWrite(3, $"{name}-9"),
                new LogWrite(3, $"{name}-31"),
                new LogWrite(0, $"{name}-10", Vector(500, dimension), "an add of an existing id is ignored"),
                new LogWrite(1, $"{name}-404", Vector(404, dimension), "an update of a missing id is ignored"),
                new LogWrite(3, $"{name}-11"),
                new LogWrite(0, $"{name}-11", Vector(111, dimension), "deleted then added again"),
            ],
            PythonPickle = python,
        };
    }

    private static async Task<Dictionary<string, ChromaRecord>> ReadAllAsync(string dir, string collection)
    {
        var reader = new ChromaDirectoryReader(dir);
        var info = (await reader.ListCollectionsAsync(TestContext.Current.CancellationToken)).Single(c => c.Name == collection);
        var records = new Dictionary<string, ChromaRecord>(StringComparer.Ordinal);
        await foreach (var batch in reader.ReadAsync(info, 7, TestContext.Current.CancellationToken))
        {
            foreach (var record in batch)
            {
                records.Add(record.Id, record);
            }
        }

        return records;
    }

    private static void AssertServed(Dictionary<string, ServedRecord> expected, Dictionary<string, ChromaRecord> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, want) in expected)
        {
            var got = actual[id];
            Assert.True(want.Vector.AsSpan().SequenceEqual(got.Embedding), $"vector of {id} differs");
            Assert.Equal(want.Document, got.Document);
            Assert.True(JsonNode.DeepEquals(want.Metadata, got.Metadata), $"metadata of {id}: {want.Metadata.ToJsonString()} vs {got.Metadata.ToJsonString()}");
        }
    }

    [Theory]
    [InlineData("l2", false)]
    [InlineData("ip", false)]
    [InlineData("cosine", false)]
    [InlineData("l2", true)]
    [InlineData("cosine", true)]
    public async Task Segment_vectors_plus_the_log_after_max_seq_id_are_what_the_server_serves(string space, bool python)
    {
        var (dir, expected, _) = ChromaLayoutWriter.Write(History("mem", 6, space, python));

        var records = await ReadAllAsync(dir, "mem");

        AssertServed(expected["mem"], records);
        Assert.Equal(28 + 2 - 1, records.Count); // 28 live in the segment, 30 and 32 added (31 added and deleted), 9 deleted
        Assert.DoesNotContain("mem-404", records.Keys);
        Assert.Equal(Vector(111, 6).Length, records["mem-11"].Embedding.Length);
    }

    [Fact]
    public void Cosine_stored_vectors_are_served_as_the_stored_values_times_the_stored_norm()
    {
        // hnswlib keeps v/|v| and |v|; the server multiplies them back in float32, which is not always v bit for bit.
        var original = Vector(12, 9);
        var served = ChromaLayoutWriter.StoredTimesNorm(original);
        var replayed = HnswCosine.AsServedAfterInsert(original);

        Assert.Equal(original.Length, served.Length);
        for (var i = 0; i < original.Length; i++)
        {
            Assert.Equal(original[i], served[i], 1e-5f);
            Assert.Equal(original[i], replayed[i], 1e-5f);
        }

        // The norm's summation order is the server's four-lane order, not the plain one.
        float[] v = [1e8f, 1f, -1e8f, 1f, 3f];
        Assert.Equal(MathF.Sqrt(((1e16f + 1e16f) + (1f + 1f)) + 9f), HnswCosine.Norm(v));
    }

    [Fact]
    public async Task A_resized_index_whose_files_end_at_the_last_element_is_read()
    {
        // After a resize hnswlib extends data_level0.bin and length.bin element by element, not to the new capacity.
        var (dir, expected, folders) = ChromaLayoutWriter.Write(History("grown", 6, "cosine"));
        var header = File.ReadAllBytes(Path.Combine(folders["grown"], "header.bin"));
        var elements = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(20));
        Truncate(Path.Combine(folders["grown"], "data_level0.bin"), elements * (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(28)));
        Truncate(Path.Combine(folders["grown"], "length.bin"), elements * 4);

        AssertServed(expected["grown"], await ReadAllAsync(dir, "grown"));
    }

    [Fact]
    public async Task A_collection_never_flushed_is_read_from_the_log_alone()
    {
        var history = History("fresh", 4, "l2") with { Persisted = [], DeletedBeforeFlush = [], AlreadyApplied = [], NoSegmentFiles = true };
        var (dir, expected, _) = ChromaLayoutWriter.Write(history);

        var records = await ReadAllAsync(dir, "fresh");

        AssertServed(expected["fresh"], records);
        // Updates of ids never added are ignored; adds, upserts and the delete-then-add apply.
        Assert.Equal(["fresh-10", "fresh-11", "fresh-30", "fresh-32", "fresh-8"], records.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Two_collections_migrate_verified_and_progress_names_the_collection_being_written()
    {
        var ct = TestContext.Current.CancellationToken;
        var (dir, expected, _) = ChromaLayoutWriter.Write(History("alpha", 5, "cosine"), History("beta", 3, "ip"));
        var data = ChromaFixtures.TempDirectory();
        var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = data, BuildIndexInBackground = false });
        _stores.Add(store);
        var progress = new List<MigrationProgress>();
        var migrator = new ChromaMigrator(new ChromaDirectoryReader(dir), new MigrationOptions { BatchSize = 4, Verify = true, Progress = progress.Add });

        var report = await migrator.ExecuteAsync(await migrator.PlanAsync(ct), store, ct);

        Assert.Equal(0, report.Mismatched);
        Assert.Equal(expected["alpha"].Count + expected["beta"].Count, report.Written);
        var point = (await store.GetAsync("chroma-alpha", [ChromaMigrator.PointId("alpha", "alpha-6")], true, ct)).Single();
        Assert.True(expected["alpha"]["alpha-6"].Vector.AsSpan().SequenceEqual(point.Vector.Span));
        foreach (var phase in new[] { "read", "write", "verify" })
        {
            var beta = progress.Where(p => p.Phase == phase && p.Collection == "beta").ToList();
            Assert.NotEmpty(beta);
            Assert.All(beta, p => Assert.Equal(expected["beta"].Count, p.Total));
            Assert.Equal(expected["beta"].Count, beta[^1].Done);
        }
    }

    public static TheoryData<string, string, string> BadLayouts() => new()
    {
        { "truncated-data", "data_level0.bin", "file length vs element count" },
        { "half-data", "data_level0.bin", "file length vs element count" },
        { "pickle-other-class", "index_metadata.pickle", "collections.OrderedDict" },
        { "pickle-reduce", "index_metadata.pickle", "'posix.system'" },
        { "missing-folder", "b0000000-0000-0000-0000-000000000001", "segment folder present" },
        { "label-without-id", "data_level0.bin", "label has an id" },
        { "dimension", "header.bin", "dimension" },
        { "truncated-header", "header.bin", "header size" },
        { "truncated-links", "link_lists.bin", "file length vs element count" },
        { "short-norms", "length.bin", "file length vs element count" },
        { "no-pickle", "index_metadata.pickle", "id map present" },
    };

    [Theory]
    [MemberData(nameof(BadLayouts))]
    public async Task A_damaged_segment_is_refused_with_exit_2_naming_the_file_and_nothing_is_written(string damage, string file, string check)
    {
        var (dir, _, folders) = ChromaLayoutWriter.Write(History("mem", 6, "cosine"));
        var folder = folders["mem"];
        string F(string name) => Path.Combine(folder, name);
        switch (damage)
        {
            case "truncated-data":
                Truncate(F("data_level0.bin"), 1000);
                break;
            case "half-data":
                // Whole elements, more than the element count, less than the capacity: cut, not grown by a resize.
                Truncate(F("data_level0.bin"), 45 * (long)BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(F("header.bin")).AsSpan(28)));
                break;
            case "pickle-other-class":
                File.WriteAllBytes(F("index_metadata.pickle"), [0x80, 0x03, (byte)'c', .. "collections\nOrderedDict\n"u8, (byte)')', (byte)'R', (byte)'.']);
                break;
            case "pickle-reduce":
                File.WriteAllBytes(F("index_metadata.pickle"), [0x80, 0x05, 0x8c, 0x05, .. "posix"u8, 0x8c, 0x06, .. "system"u8, 0x93, 0x8c, 0x02, .. "id"u8, 0x85, (byte)'R', (byte)'.']);
                break;
            case "missing-folder":
                Directory.Delete(folder, recursive: true);
                break;
            case "label-without-id":
                // A live element whose label the pickle does not map: flip the deleted mark of a deleted element off.
                var bytes = File.ReadAllBytes(F("data_level0.bin"));
                var stride = (int)BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(F("header.bin")).AsSpan(28));
                bytes[(3 * stride) + 2] = 0;
                File.WriteAllBytes(F("data_level0.bin"), bytes);
                break;
            case "dimension":
                using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, "chroma.sqlite3")};Pooling=False"))
                {
                    db.Open();
                    using var command = db.CreateCommand();
                    command.CommandText = "UPDATE collections SET dimension = 7";
                    command.ExecuteNonQuery();
                }

                break;
            case "truncated-header":
                Truncate(F("header.bin"), 60);
                break;
            case "truncated-links":
                Truncate(F("link_lists.bin"), 10);
                break;
            case "short-norms":
                Truncate(F("length.bin"), 8);
                break;
            default:
                File.Delete(F("index_metadata.pickle"));
                break;
        }

        var data = ChromaFixtures.TempDirectory();
        var opened = false;
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await MigrateCommand.RunAsync(
            new MigrateCommandOptions { From = "chroma:" + dir, Verify = true, DataDirectory = data },
            () =>
            {
                opened = true;
                throw new InvalidOperationException("the target must not be opened");
            },
            output, error, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, code);
        Assert.Contains(file, error.ToString(), StringComparison.Ordinal);
        Assert.Contains(check, error.ToString(), StringComparison.Ordinal);
        Assert.False(opened);
        Assert.Empty(Directory.EnumerateFileSystemEntries(data));
    }

    private static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
    }
}
