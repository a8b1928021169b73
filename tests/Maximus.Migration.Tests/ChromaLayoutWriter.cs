using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Maximus.Migration.Tests;

/// <summary>One write of the generated write-ahead log: 0 add, 1 update, 2 upsert, 3 delete.</summary>
internal sealed record LogWrite(int Operation, string Id, float[]? Vector = null, string? Document = null, JsonObject? Metadata = null);

/// <summary>A collection to generate: records persisted in its HNSW segment, then writes left in the log after max_seq_id.</summary>
internal sealed record LayoutCollection(string Name, int Dimension, string Space)
{
    /// <summary>Records compacted into the HNSW segment (labels 1..n in this order).</summary>
    public List<(string Id, float[] Vector, string? Document, JsonObject? Metadata)> Persisted { get; init; } = [];

    /// <summary>Persisted records deleted before the flush: marked deleted in data_level0.bin, absent from the id map.</summary>
    public HashSet<string> DeletedBeforeFlush { get; init; } = [];

    /// <summary>Writes at or before max_seq_id that Chroma keeps in the log (already in the segment; must not be replayed).</summary>
    public List<LogWrite> AlreadyApplied { get; init; } = [];

    public List<LogWrite> Log { get; init; } = [];

    /// <summary>Write the pickle as Chroma 0.4-0.6 does (a PersistentData object, protocol 5, max_seq_id inside it).</summary>
    public bool PythonPickle { get; init; }

    /// <summary>Nothing flushed yet: the folder holds an empty index (header with no elements) and no pickle, as Chroma leaves it.</summary>
    public bool NoSegmentFiles { get; init; }
}

/// <summary>What the server serves for a generated record.</summary>
internal sealed record ServedRecord(float[] Vector, string? Document, JsonObject Metadata);

/// <summary>
/// Writes a small Chroma persistent directory in the real layout, without any shared fixture: chroma.sqlite3 (the tables
/// Chroma 1.x creates, metadata segment applied, embeddings_queue with writes after max_seq_id) and per vector segment the
/// chroma-hnswlib files (header.bin, data_level0.bin, length.bin, link_lists.bin) plus index_metadata.pickle.
/// </summary>
internal static class ChromaLayoutWriter
{
    public const int MaxM = 4;

    public static (string Directory, Dictionary<string, Dictionary<string, ServedRecord>> Expected, Dictionary<string, string> SegmentFolders) Write(params LayoutCollection[] collections)
    {
        var dir = ChromaFixtures.TempDirectory();
        var expected = new Dictionary<string, Dictionary<string, ServedRecord>>();
        var folders = new Dictionary<string, string>();
        using var db = new SqliteConnection($"Data Source={Path.Combine(dir, "chroma.sqlite3")};Pooling=False;Foreign Keys=False");
        db.Open();
        Execute(db, "BEGIN");
        Execute(db, Ddl);
        Execute(db, "INSERT INTO tenants (id) VALUES ('default_tenant')");
        Execute(db, "INSERT INTO databases (id, name, tenant_id) VALUES ('00000000-0000-0000-0000-000000000000', 'default_database', 'default_tenant')");
        long seq = 0;
        var c = 0;
        foreach (var collection in collections)
        {
            c++;
            var collectionId = $"c0000000-0000-0000-0000-{c:D12}";
            var metadataSegment = $"a0000000-0000-0000-0000-{c:D12}";
            var vectorSegment = $"b0000000-0000-0000-0000-{c:D12}";
            var config = collection.PythonPickle
                ? $$$"""{"hnsw_configuration": {"space": "{{{collection.Space}}}", "_type": "HNSWConfigurationInternal"}, "_type": "CollectionConfigurationInternal"}"""
                : $$$"""{"vector_index":{"hnsw":{"space":"{{{collection.Space}}}","ef_construction":100,"ef_search":100,"max_neighbors":16,"resize_factor":1.2,"sync_threshold":1000}},"embedding_function":null}""";
            Execute(db, "INSERT INTO collections (id, name, dimension, database_id, config_json_str) VALUES ($id, $n, $d, '00000000-0000-0000-0000-000000000000', $cfg)",
                ("$id", collectionId), ("$n", collection.Name), ("$d", collection.Dimension), ("$cfg", config));
            Execute(db, "INSERT INTO collection_metadata (collection_id, key, str_value) VALUES ($id, 'hnsw:space', $s)", ("$id", collectionId), ("$s", collection.Space));
            Execute(db, "INSERT INTO segments (id, type, scope, collection) VALUES ($s, 'urn:chroma:segment/metadata/sqlite', 'METADATA', $c)", ("$s", metadataSegment), ("$c", collectionId));
            Execute(db, "INSERT INTO segments (id, type, scope, collection) VALUES ($s, 'urn:chroma:segment/vector/hnsw-local-persisted', 'VECTOR', $c)", ("$s", vectorSegment), ("$c", collectionId));
            var topic = $"persistent://default/default/{collectionId}";

            // What the server serves: the segment's records, then the log replayed the way Chroma applies it.
            var served = new Dictionary<string, ServedRecord>(StringComparer.Ordinal);
            var cosine = collection.Space == "cosine";
            foreach (var (id, vector, document, metadata) in collection.Persisted.Where(p => !collection.DeletedBeforeFlush.Contains(p.Id)))
            {
                served[id] = new ServedRecord(cosine ? StoredTimesNorm(vector) : vector, document, metadata ?? []);
            }

            foreach (var write in collection.Persisted.Select(p => new LogWrite(0, p.Id, p.Vector, p.Document, p.Metadata)).Concat(collection.AlreadyApplied))
            {
                Queue(db, ++seq, topic, write);
            }

            var flushed = seq;
            foreach (var write in collection.Log)
            {
                Queue(db, ++seq, topic, write);
                var exists = served.TryGetValue(write.Id, out var old);
                // The Rust server serves a replayed cosine vector after its own normalise/denormalise round trip; the
                // Python server serves it as logged.
                var vector = write.Vector is null ? null : cosine && !collection.PythonPickle ? Maximus.Migration.Chroma.HnswCosine.AsServedAfterInsert(write.Vector) : write.Vector;
                switch (write.Operation)
                {
                    case 0 when !exists:
                    case 2 when !exists:
                        served[write.Id] = new ServedRecord(vector!, write.Document, write.Metadata ?? []);
                        break;
                    case 1 when exists:
                    case 2 when exists:
                        served[write.Id] = new ServedRecord(vector ?? old!.Vector, write.Document ?? old!.Document, write.Metadata ?? old!.Metadata);
                        break;
                    case 3:
                        served.Remove(write.Id);
                        break;
                }
            }

            // The metadata segment is applied up to the end of the log.
            var row = 0L;
            foreach (var (id, record) in served.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                row = (long)Execute(db, "INSERT INTO embeddings (segment_id, embedding_id, seq_id) VALUES ($s, $id, 1); SELECT last_insert_rowid()", ("$s", metadataSegment), ("$id", id))!;
                if (record.Document is not null)
                {
                    Execute(db, "INSERT INTO embedding_metadata (id, key, string_value) VALUES ($r, 'chroma:document', $v)", ("$r", row), ("$v", record.Document));
                }

                foreach (var (key, value) in record.Metadata)
                {
                    var column = value!.GetValueKind() switch
                    {
                        System.Text.Json.JsonValueKind.String => "string_value",
                        System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "bool_value",
                        _ when value.ToJsonString().Contains('.', StringComparison.Ordinal) => "float_value",
                        _ => "int_value",
                    };
                    object v = column switch
                    {
                        "string_value" => value.GetValue<string>(),
                        "bool_value" => value.GetValue<bool>() ? 1 : 0,
                        "float_value" => double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture),
                        _ => long.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture),
                    };
                    Execute(db, $"INSERT INTO embedding_metadata (id, key, {column}) VALUES ($r, $k, $v)", ("$r", row), ("$k", key), ("$v", v));
                }
            }

            Execute(db, "INSERT INTO max_seq_id (segment_id, seq_id) VALUES ($s, $n)", ("$s", metadataSegment), ("$n", seq));
            if (!collection.PythonPickle && !collection.NoSegmentFiles)
            {
                Execute(db, "INSERT INTO max_seq_id (segment_id, seq_id) VALUES ($s, $n)", ("$s", vectorSegment), ("$n", flushed));
            }

            var folder = Path.Combine(dir, vectorSegment);
            folders[collection.Name] = folder;
            WriteSegment(folder, collection, flushed);

            expected[collection.Name] = served;
        }

        Execute(db, "COMMIT");
        return (dir, expected, folders);
    }

    /// <summary>What hnswlib serves for a vector in a cosine index: the stored normalised values times the stored norm (computed here in double, as any writer may).</summary>
    public static float[] StoredTimesNorm(float[] vector)
    {
        var (stored, length) = Normalize(vector);
        return [.. stored.Select(v => v * length)];
    }

    private static (float[] Stored, float Length) Normalize(float[] vector)
    {
        var length = (float)Math.Sqrt(vector.Sum(v => (double)v * v));
        return ([.. vector.Select(v => (float)(v / (length + 1e-30)))], length);
    }

    private static void WriteSegment(string folder, LayoutCollection collection, long flushed)
    {
        Directory.CreateDirectory(folder);
        var dim = collection.Dimension;
        var capacity = Math.Max(16, collection.Persisted.Count * 2);
        var maxM0 = MaxM * 2;
        var vectorOffset = 4 + (maxM0 * 4);
        var labelOffset = vectorOffset + (dim * 4);
        var stride = labelOffset + 8;
        var n = collection.NoSegmentFiles ? 0 : collection.Persisted.Count;
        var header = new byte[100];
        BinaryPrimitives.WriteInt32LittleEndian(header, 1);
        ulong[] fields = [0, (ulong)capacity, (ulong)n, (ulong)stride, (ulong)labelOffset, (ulong)vectorOffset];
        for (var i = 0; i < fields.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(4 + (i * 8)), fields[i]);
        }

        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(52), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(56), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(60), MaxM);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(68), (ulong)maxM0);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(76), MaxM);
        BinaryPrimitives.WriteDoubleLittleEndian(header.AsSpan(84), 1 / Math.Log(MaxM));
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(92), 100);
        File.WriteAllBytes(Path.Combine(folder, "header.bin"), header);

        var data = new byte[capacity * stride];
        var lengths = new byte[capacity * 4];
        var links = new byte[n * 4];
        for (var e = 0; e < n; e++)
        {
            var (id, vector, _, _) = collection.Persisted[e];
            var record = data.AsSpan(e * stride, stride);
            var linked = Math.Min(e, 2);
            var flags = (uint)linked | (collection.DeletedBeforeFlush.Contains(id) ? 0x10000u : 0);
            BinaryPrimitives.WriteUInt32LittleEndian(record, flags);
            for (var l = 0; l < linked; l++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(record[(4 + (l * 4))..], (uint)(e - l - 1));
            }

            var (stored, length) = collection.Space == "cosine" ? Normalize(vector) : (vector, 0f);
            for (var d = 0; d < dim; d++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(record[(vectorOffset + (d * 4))..], stored[d]);
            }

            BinaryPrimitives.WriteUInt64LittleEndian(record[labelOffset..], (ulong)(e + 1));
            BinaryPrimitives.WriteSingleLittleEndian(lengths.AsSpan(e * 4), length);
        }

        File.WriteAllBytes(Path.Combine(folder, "data_level0.bin"), data);
        File.WriteAllBytes(Path.Combine(folder, "length.bin"), lengths);
        File.WriteAllBytes(Path.Combine(folder, "link_lists.bin"), links);
        if (collection.NoSegmentFiles)
        {
            return;
        }

        var live = collection.Persisted.Select((p, i) => (p.Id, Label: i + 1)).Where(p => !collection.DeletedBeforeFlush.Contains(p.Id)).ToList();
        var pickle = new PickleWriter();
        pickle.Start(collection.PythonPickle ? 5 : 3);
        if (collection.PythonPickle)
        {
            pickle.StackGlobal("chromadb.segment.impl.vector.local_persistent_hnsw", "PersistentData");
            pickle.Raw(0x29, 0x81); // EMPTY_TUPLE, NEWOBJ
            pickle.Memoize();
        }

        pickle.Dict(
        [
            ("dimensionality", w => w.Int(dim)),
            ("total_elements_added", w => w.Int(n)),
            ("max_seq_id", w =>
            {
                if (collection.PythonPickle)
                {
                    w.Int(flushed);
                }
                else
                {
                    w.None();
                }
            }),
            ("id_to_label", w => w.Dict([.. live.Select(p => (p.Id, (Action<PickleWriter>)(x => x.Int(p.Label))))])),
            ("label_to_id", w => w.IntDict([.. live.Select(p => (p.Label, p.Id))])),
            ("id_to_seq_id", w => w.Dict([.. live.Select(p => (p.Id, (Action<PickleWriter>)(x => x.Int(p.Label))))])),
        ]);
        if (collection.PythonPickle)
        {
            pickle.Raw((byte)'b');
        }

        File.WriteAllBytes(Path.Combine(folder, "index_metadata.pickle"), pickle.Finish());
    }

    private static void Queue(SqliteConnection db, long seq, string topic, LogWrite write)
    {
        byte[]? vector = null;
        if (write.Vector is { } v)
        {
            vector = new byte[v.Length * 4];
            for (var i = 0; i < v.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(vector.AsSpan(i * 4), v[i]);
            }
        }

        var metadata = write.Metadata?.DeepClone().AsObject() ?? [];
        if (write.Document is not null)
        {
            metadata["chroma:document"] = write.Document;
        }

        Execute(db, "INSERT INTO embeddings_queue (seq_id, operation, topic, id, vector, encoding, metadata) VALUES ($q, $o, $t, $id, $v, $e, $m)",
            ("$q", seq), ("$o", write.Operation), ("$t", topic), ("$id", write.Id), ("$v", (object?)vector ?? DBNull.Value),
            ("$e", vector is null ? DBNull.Value : "FLOAT32"), ("$m", write.Operation == 3 ? DBNull.Value : metadata.ToJsonString()));
    }

    private static object? Execute(SqliteConnection db, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteScalar();
    }

    /// <summary>The tables of a Chroma 1.x chroma.sqlite3 that a reader meets (same columns as Chroma's migrations produce).</summary>
    private const string Ddl = """
        CREATE TABLE tenants (id TEXT PRIMARY KEY, UNIQUE (id));
        CREATE TABLE databases (id TEXT PRIMARY KEY, name TEXT NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE, UNIQUE (tenant_id, name));
        CREATE TABLE collections (id TEXT PRIMARY KEY, name TEXT NOT NULL, dimension INTEGER, database_id TEXT NOT NULL REFERENCES databases(id) ON DELETE CASCADE, config_json_str TEXT, UNIQUE (name, database_id));
        CREATE TABLE collection_metadata (collection_id TEXT REFERENCES collections(id) ON DELETE CASCADE, key TEXT NOT NULL, str_value TEXT, int_value INTEGER, float_value REAL, bool_value INTEGER, PRIMARY KEY (collection_id, key));
        CREATE TABLE segments (id TEXT PRIMARY KEY, type TEXT NOT NULL, scope TEXT NOT NULL, collection TEXT REFERENCES collection(id) NOT NULL);
        CREATE TABLE segment_metadata (segment_id TEXT REFERENCES segments(id) ON DELETE CASCADE, key TEXT NOT NULL, str_value TEXT, int_value INTEGER, float_value REAL, bool_value INTEGER, PRIMARY KEY (segment_id, key));
        CREATE TABLE embeddings (id INTEGER PRIMARY KEY, segment_id TEXT NOT NULL, embedding_id TEXT NOT NULL, seq_id BLOB NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, UNIQUE (segment_id, embedding_id));
        CREATE TABLE embedding_metadata (id INTEGER REFERENCES embeddings(id), key TEXT NOT NULL, string_value TEXT, int_value INTEGER, float_value REAL, bool_value INTEGER, PRIMARY KEY (id, key));
        CREATE TABLE max_seq_id (segment_id TEXT PRIMARY KEY, seq_id INTEGER);
        CREATE TABLE embeddings_queue (seq_id INTEGER PRIMARY KEY, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, operation INTEGER NOT NULL, topic TEXT NOT NULL, id TEXT NOT NULL, vector BLOB, encoding TEXT, metadata TEXT);
        CREATE TABLE embeddings_queue_config (id INTEGER PRIMARY KEY, config_json_str TEXT);
        """;
}

/// <summary>Writes pickles the way CPython does for Chroma's id map (SETITEMS in batches of 1000, memo ops).</summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _out = new();
    private int _memo;

    public void Start(int protocol) => Raw(0x80, (byte)protocol);

    public byte[] Finish()
    {
        Raw((byte)'.');
        return _out.ToArray();
    }

    public void Raw(params byte[] bytes) => _out.Write(bytes);

    public void Memoize()
    {
        // Protocol 4+ uses MEMOIZE; protocol 3 BINPUT with the memo index.
        if (_out.Length > 1 && _out.GetBuffer()[1] >= 4)
        {
            Raw(0x94);
        }
        else if (_memo < 256)
        {
            Raw((byte)'q', (byte)_memo);
        }
        else
        {
            var b = new byte[5];
            b[0] = (byte)'r';
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(1), (uint)_memo);
            Raw(b);
        }

        _memo++;
    }

    public void None() => Raw((byte)'N');

    public void Int(long value)
    {
        if (value is >= 0 and < 256)
        {
            Raw((byte)'K', (byte)value);
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            var b = new byte[5];
            b[0] = (byte)'J';
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(1), (int)value);
            Raw(b);
        }
        else
        {
            var b = new byte[10];
            b[0] = 0x8a;
            b[1] = 8;
            BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(2), value);
            Raw(b);
        }
    }

    public void String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length < 256)
        {
            Raw(0x8c, (byte)bytes.Length);
        }
        else
        {
            var b = new byte[5];
            b[0] = (byte)'X';
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(1), (uint)bytes.Length);
            Raw(b);
        }

        Raw(bytes);
        Memoize();
    }

    public void StackGlobal(string module, string name)
    {
        String(module);
        String(name);
        Raw(0x93);
        Memoize();
    }

    public void Dict(IReadOnlyList<(string Key, Action<PickleWriter> Value)> items) =>
        Items(items.Select(i => ((Action<PickleWriter>)(w => w.String(i.Key)), i.Value)).ToList());

    public void IntDict(IReadOnlyList<(long Key, string Value)> items) =>
        Items(items.Select(i => ((Action<PickleWriter>)(w => w.Int(i.Key)), (Action<PickleWriter>)(w => w.String(i.Value)))).ToList());

    private void Items(List<(Action<PickleWriter> Key, Action<PickleWriter> Value)> items)
    {
        Raw((byte)'}');
        Memoize();
        foreach (var chunk in items.Chunk(1000))
        {
            Raw((byte)'(');
            foreach (var (key, value) in chunk)
            {
                key(this);
                value(this);
            }

            Raw((byte)'u');
        }
    }
}
