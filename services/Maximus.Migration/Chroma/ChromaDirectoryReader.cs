using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;

namespace Maximus.Migration.Chroma;

/// <summary>
/// Reads a Chroma persistent directory (the folder holding <c>chroma.sqlite3</c>) read-only: the layouts of the Python
/// server (0.4.x to 0.6.x) and of the Rust server (1.x). What it returns equals what a Chroma server serves from the same
/// directory:
/// <list type="bullet">
/// <item>The record set, documents and metadata come from the collection's METADATA segment (tables <c>embeddings</c>,
/// <c>embedding_metadata</c>, and <c>embedding_metadata_array</c> when present), refused when the write-ahead log holds
/// writes it has not applied.</item>
/// <item>Vectors come from the VECTOR segment's folder (<see cref="HnswSegment"/>: hnswlib files plus the pickled id map,
/// validated), then the write-ahead log <c>embeddings_queue</c> is replayed after the segment's <c>max_seq_id</c> (the
/// <c>max_seq_id</c> table, or the pickle's own before Chroma 1.x) in seq order: add (ignored when the id exists), update
/// (ignored when it does not), upsert, delete.</item>
/// <item>Cosine collections: hnswlib stores the normalised vector and its norm; the server serves their float32 product,
/// and so does this reader. A vector replayed from the log is what the Rust server serves after its own replay into the
/// index: normalised the way its hnswlib build does (<see cref="HnswCosine"/>) and multiplied back. For the Python server
/// (pickle written by Python, or a Python-era collection configuration) the logged vector is returned as logged, which is
/// what that server serves while it holds the vector in its brute-force buffer.</item>
/// </list>
/// </summary>
public sealed class ChromaDirectoryReader : IChromaSource
{
    public const string DatabaseFileName = "chroma.sqlite3";
    private const string DocumentKey = "chroma:document";
    private const int MaxParameters = 500;
    private readonly string _directory;
    private readonly string _databasePath;
    private Schema? _schema;

    public ChromaDirectoryReader(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = Path.GetFullPath(directory);
        _databasePath = Path.Combine(_directory, DatabaseFileName);
    }

    public string Description => $"chroma:{_directory}";

    public async Task<IReadOnlyList<ChromaCollectionInfo>> ListCollectionsAsync(CancellationToken cancellationToken = default)
    {
        using var connection = Open();
        var schema = await LoadSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
        var database = schema.HasDatabases
            ? "(SELECT d.name FROM databases d WHERE d.id = c.database_id)"
            : "'default_database'";
        var tenant = schema.HasDatabases
            ? "(SELECT d.tenant_id FROM databases d WHERE d.id = c.database_id)"
            : "'default_tenant'";
        var dimension = schema.CollectionsHaveDimension ? "c.dimension" : "NULL";
        var sql = $"""
            SELECT c.id, c.name, {dimension}, {database}, {tenant},
                   (SELECT COUNT(*) FROM embeddings e JOIN segments s ON s.id = e.segment_id
                    WHERE s.collection = c.id AND s.scope = 'METADATA')
            FROM collections c ORDER BY c.name
            """;
        var collections = new List<ChromaCollectionInfo>();
        await Guard(async () =>
        {
            using var command = Sql.Command(connection, sql);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                collections.Add(new ChromaCollectionInfo(
                    reader.GetString(0), reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetInt32(2),
                    reader.GetInt64(5),
                    reader.IsDBNull(3) ? "default_database" : reader.GetString(3),
                    reader.IsDBNull(4) ? "default_tenant" : reader.GetString(4)));
            }
        }).ConfigureAwait(false);
        return collections;
    }

    public async IAsyncEnumerable<IReadOnlyList<ChromaRecord>> ReadAsync(
        ChromaCollectionInfo collection, int batchSize, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        batchSize = Math.Min(batchSize, MaxParameters);
        using var connection = Open();
        var schema = await LoadSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
        var metadataSegment = await Sql.ScalarAsync(connection,
            "SELECT id FROM segments WHERE collection = $c AND scope = 'METADATA' LIMIT 1", cancellationToken, ("$c", collection.Id)).ConfigureAwait(false) as string;
        if (metadataSegment is null)
        {
            if (collection.Count == 0)
            {
                yield break;
            }

            throw new ChromaSourceException($"Collection '{collection.Name}' has no metadata segment in {_databasePath}; this layout is not supported.");
        }

        await CheckQueueAppliedAsync(connection, collection, metadataSegment, cancellationToken).ConfigureAwait(false);
        using var source = await OpenVectorSourceAsync(connection, collection, cancellationToken).ConfigureAwait(false);
        var log = await ReadLogIndexAsync(connection, collection, source, cancellationToken).ConfigureAwait(false);
        long lastRowId = long.MinValue;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = new List<(long RowId, string Id, DateTimeOffset? CreatedAt)>(batchSize);
            await Guard(async () =>
            {
                using var command = Sql.Command(
                    connection,
                    // "+segment_id": walk the rowid from $after on; the (segment_id, embedding_id) index would visit and sort the
                    // whole segment for every page.
                    $"SELECT id, embedding_id, {(schema.EmbeddingsHaveCreatedAt ? "created_at" : "NULL")} FROM embeddings WHERE +segment_id = $s AND id > $after ORDER BY id LIMIT $n",
                    ("$s", metadataSegment), ("$after", lastRowId), ("$n", batchSize));
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add((reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : ParseTimestamp(reader.GetValue(2))));
                }
            }).ConfigureAwait(false);
            if (rows.Count == 0)
            {
                yield break;
            }

            lastRowId = rows[^1].RowId;
            var metadata = await ReadMetadataAsync(connection, schema, rows.Select(r => r.RowId).ToList(), cancellationToken).ConfigureAwait(false);
            var vectors = await ReadVectorsAsync(connection, collection, source, log, rows.Select(r => r.Id).ToList(), cancellationToken).ConfigureAwait(false);
            var batch = new List<ChromaRecord>(rows.Count);
            foreach (var (rowId, id, createdAt) in rows)
            {
                if (!vectors.TryGetValue(id, out var vector))
                {
                    throw MissingVector(collection, source, id);
                }

                var values = metadata.GetValueOrDefault(rowId) ?? [];
                string? document = null;
                if (values.Remove(DocumentKey, out var doc) && doc is not null)
                {
                    document = doc.GetValue<string>();
                }

                batch.Add(new ChromaRecord(id, document, values, vector, createdAt));
            }

            yield return batch;
        }
    }

    private SqliteConnection Open()
    {
        if (!Directory.Exists(_directory))
        {
            throw new ChromaSourceException($"Not a Chroma persistent directory: '{_directory}' does not exist.");
        }

        if (!File.Exists(_databasePath))
        {
            throw new ChromaSourceException($"Not a Chroma persistent directory: '{_directory}' has no {DatabaseFileName}.");
        }

        try
        {
            return new SqliteFile(_databasePath, SqliteFileOptions.ReadOnly).Open();
        }
        catch (SqliteException ex)
        {
            throw new ChromaSourceException($"Cannot open {_databasePath}: {ex.Message}", ex);
        }
    }

    private async Task<Schema> LoadSchemaAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        if (_schema is not null)
        {
            return _schema;
        }

        var tables = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        await Guard(async () =>
        {
            var check = (string?)await Sql.ScalarAsync(connection, "PRAGMA quick_check", cancellationToken).ConfigureAwait(false);
            if (!string.Equals(check, "ok", StringComparison.OrdinalIgnoreCase))
            {
                throw new ChromaSourceException($"{_databasePath} is corrupt (SQLite quick_check: {check}).");
            }

            using var command = Sql.Command(connection, "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'");
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var table = reader.GetString(0);
                if (!tables.TryGetValue(table, out var columns))
                {
                    tables[table] = columns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                }

                columns.Add(reader.GetString(1));
            }
        }).ConfigureAwait(false);

        string[] required = ["collections", "segments", "embeddings", "embedding_metadata"];
        var missing = required.Where(t => !tables.ContainsKey(t)).ToList();
        if (missing.Count > 0)
        {
            throw new ChromaSourceException(
                $"Not a Chroma persistent directory: {_databasePath} lacks the table(s) {string.Join(", ", missing)} (supported: Chroma 0.4.x to 1.5.x).");
        }

        if (!tables["segments"].Contains("collection") || !tables["segments"].Contains("scope"))
        {
            throw new ChromaSourceException($"Unsupported Chroma schema in {_databasePath}: segments has no collection/scope columns (Chroma before 0.4?).");
        }

        _schema = new Schema(
            HasDatabases: tables.ContainsKey("databases") && tables["collections"].Contains("database_id"),
            CollectionsHaveDimension: tables["collections"].Contains("dimension"),
            EmbeddingsHaveCreatedAt: tables["embeddings"].Contains("created_at"),
            MetadataHasBool: tables["embedding_metadata"].Contains("bool_value"),
            HasArrays: tables.ContainsKey("embedding_metadata_array"),
            ArraysHaveBool: tables.TryGetValue("embedding_metadata_array", out var arrayColumns) && arrayColumns.Contains("bool_value"),
            HasQueue: tables.ContainsKey("embeddings_queue"),
            CollectionsHaveConfig: tables["collections"].Contains("config_json_str"),
            CollectionsHaveSchema: tables["collections"].Contains("schema"),
            HasCollectionMetadata: tables.TryGetValue("collection_metadata", out var collectionMetadata) && collectionMetadata.Contains("str_value"),
            HasMaxSeqId: tables.ContainsKey("max_seq_id"));
        return _schema;
    }

    private async Task CheckQueueAppliedAsync(SqliteConnection connection, ChromaCollectionInfo collection, string metadataSegment, CancellationToken cancellationToken)
    {
        var schema = _schema!;
        if (!schema.HasQueue || !schema.HasMaxSeqId)
        {
            return;
        }

        var appliedSeq = await MaxSeqIdAsync(connection, metadataSegment, cancellationToken).ConfigureAwait(false) ?? long.MinValue;
        var pending = await Sql.ScalarAsync(connection,
            "SELECT COUNT(*) FROM embeddings_queue WHERE topic LIKE '%' || $c AND seq_id > $seq", cancellationToken,
            ("$c", collection.Id), ("$seq", appliedSeq)).ConfigureAwait(false);
        if (pending is long count and > 0)
        {
            throw new ChromaSourceException(
                $"Collection '{collection.Name}' has {count} write(s) in the embeddings queue that its metadata segment has not applied yet; open the directory once with Chroma (or migrate from the running server) and retry.");
        }
    }

    private async Task<Dictionary<long, JsonObject>> ReadMetadataAsync(SqliteConnection connection, Schema schema, List<long> rowIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<long, JsonObject>();
        var ids = string.Join(',', rowIds.Select(r => r.ToString(CultureInfo.InvariantCulture)));
        await Guard(async () =>
        {
            using (var command = Sql.Command(connection, $"SELECT id, key, string_value, int_value, float_value, {(schema.MetadataHasBool ? "bool_value" : "NULL")} FROM embedding_metadata WHERE id IN ({ids}) ORDER BY id, key"))
            {
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var obj = Object(result, reader.GetInt64(0));
                    obj[reader.GetString(1)] = Value(reader);
                }
            }

            if (schema.HasArrays)
            {
                using var command = Sql.Command(connection, $"SELECT id, key, string_value, int_value, float_value, {(schema.ArraysHaveBool ? "bool_value" : "NULL")} FROM embedding_metadata_array WHERE id IN ({ids}) ORDER BY id, key, rowid");
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var obj = Object(result, reader.GetInt64(0));
                    var key = reader.GetString(1);
                    if (obj[key] is not JsonArray array)
                    {
                        obj[key] = array = [];
                    }

                    array.Add(Value(reader));
                }
            }
        }).ConfigureAwait(false);
        return result;

        static JsonObject Object(Dictionary<long, JsonObject> all, long id)
        {
            if (!all.TryGetValue(id, out var obj))
            {
                all[id] = obj = [];
            }

            return obj;
        }

        static JsonNode? Value(SqliteDataReader reader) =>
            !reader.IsDBNull(2) ? JsonValue.Create(reader.GetString(2))
            : !reader.IsDBNull(5) ? JsonValue.Create(reader.GetInt64(5) != 0)
            : !reader.IsDBNull(3) ? JsonValue.Create(reader.GetInt64(3))
            : !reader.IsDBNull(4) ? JsonValue.Create(reader.GetDouble(4))
            : null;
    }

    /// <summary>The segment's applied <c>max_seq_id</c> (an integer, or an 8-byte big-endian blob before Chroma 0.5), or null.</summary>
    private async Task<long?> MaxSeqIdAsync(SqliteConnection connection, string segment, CancellationToken cancellationToken)
    {
        if (!_schema!.HasMaxSeqId)
        {
            return null;
        }

        object? value = null;
        await Guard(async () => value = await Sql.ScalarAsync(connection, "SELECT seq_id FROM max_seq_id WHERE segment_id = $s", cancellationToken, ("$s", segment)).ConfigureAwait(false))
            .ConfigureAwait(false);
        return value switch
        {
            long l => l,
            byte[] { Length: 8 } bytes => (long)BinaryPrimitives.ReadUInt64BigEndian(bytes),
            _ => null,
        };
    }

    /// <summary>The collection's vector segment: its validated folder (when it has persisted vectors) and where the log replay starts.</summary>
    private async Task<VectorSource> OpenVectorSourceAsync(SqliteConnection connection, ChromaCollectionInfo collection, CancellationToken cancellationToken)
    {
        var schema = _schema!;
        string? segmentId = null;
        string? config = null;
        string? collectionSchema = null;
        string? legacySpace = null;
        await Guard(async () =>
        {
            segmentId = await Sql.ScalarAsync(connection, "SELECT id FROM segments WHERE collection = $c AND scope = 'VECTOR' LIMIT 1", cancellationToken, ("$c", collection.Id))
                .ConfigureAwait(false) as string;
            if (schema.CollectionsHaveConfig)
            {
                config = await Sql.ScalarAsync(connection, "SELECT config_json_str FROM collections WHERE id = $c", cancellationToken, ("$c", collection.Id)).ConfigureAwait(false) as string;
            }

            if (schema.CollectionsHaveSchema)
            {
                collectionSchema = await Sql.ScalarAsync(connection, "SELECT schema FROM collections WHERE id = $c", cancellationToken, ("$c", collection.Id)).ConfigureAwait(false) as string;
            }

            if (schema.HasCollectionMetadata)
            {
                legacySpace = await Sql.ScalarAsync(connection, "SELECT str_value FROM collection_metadata WHERE collection_id = $c AND key = 'hnsw:space'", cancellationToken, ("$c", collection.Id))
                    .ConfigureAwait(false) as string;
            }
        }).ConfigureAwait(false);
        var space = (SpaceFromJson(collectionSchema, ["keys", "#embedding", "float_list", "vector_index", "config", "space"])
            ?? SpaceFromJson(collectionSchema, ["defaults", "float_list", "vector_index", "config", "space"])
            ?? SpaceFromJson(config, ["vector_index", "hnsw", "space"])
            ?? SpaceFromJson(config, ["vector_index", "spann", "space"])
            ?? SpaceFromJson(config, ["hnsw_configuration", "space"])
            ?? legacySpace
            ?? "l2").Trim().ToLowerInvariant();
        if (space is not ("l2" or "ip" or "cosine"))
        {
            throw new ChromaSourceException($"Collection '{collection.Name}': unknown hnsw space '{space}' (known: l2, ip, cosine).");
        }

        var cosine = space == "cosine";
        var pythonConfig = config?.Contains("\"hnsw_configuration\"", StringComparison.Ordinal) == true;
        if (segmentId is null)
        {
            return new VectorSource(null, null, 0, cosine, cosine && !pythonConfig);
        }

        var folder = Path.Combine(_directory, segmentId);
        var applied = await MaxSeqIdAsync(connection, segmentId, cancellationToken).ConfigureAwait(false);
        if (!Directory.Exists(folder))
        {
            // Chroma creates the folder when the segment first takes a write; without it the directory is incomplete.
            return applied is > 0 || collection.Count > 0
                ? throw new ChromaSourceException(
                    $"{folder}: check 'segment folder present': the vector segment folder of collection '{collection.Name}' is missing, though the collection holds {collection.Count} record(s){(applied is > 0 ? $" and max_seq_id records vectors persisted there up to seq {applied}" : "")}. Chroma creates it at the first write: copy the whole Chroma directory (or migrate from the running server with --from chroma-http:<url>).")
                : new VectorSource(null, folder, 0, cosine, cosine && !pythonConfig);
        }

        HnswSegment? segment;
        try
        {
            segment = HnswSegment.Open(folder, collection.Dimension, cosine);
        }
        catch (IOException ex)
        {
            throw new ChromaSourceException($"{folder}: cannot read the vector segment: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ChromaSourceException($"{folder}: cannot read the vector segment: {ex.Message}", ex);
        }

        if (segment is null && applied is > 0)
        {
            throw new ChromaSourceException(
                $"{Path.Combine(folder, HnswSegment.PickleFile)}: check 'id map present': max_seq_id records vectors persisted up to seq {applied}, but the folder holds no index_metadata.pickle.");
        }

        var python = segment?.WrittenByPython ?? pythonConfig;
        return new VectorSource(segment, folder, applied ?? segment?.PickleMaxSeqId ?? 0, cosine, cosine && !python);
    }

    private static string? SpaceFromJson(string? json, string[] path)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            var node = JsonNode.Parse(json);
            foreach (var key in path)
            {
                node = node is JsonObject o ? o[key] : null;
            }

            return node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The vectors of <paramref name="ids"/> as the server serves them: the persisted segment's, then the write-ahead log
    /// after the segment's max_seq_id replayed in seq order (add, update, upsert, delete) on top.
    /// </summary>
    private async Task<Dictionary<string, float[]>> ReadVectorsAsync(
        SqliteConnection connection, ChromaCollectionInfo collection, VectorSource source, Dictionary<string, List<long>> log, List<string> ids, CancellationToken cancellationToken)
    {
        var present = ids.ToDictionary(id => id, id => source.Segment?.Contains(id) == true, StringComparer.Ordinal);
        var logged = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var entries = ids.SelectMany(id => log.GetValueOrDefault(id) ?? []).ToList();
        if (entries.Count > 0)
        {
            await Guard(async () =>
            {
                using var command = Sql.Command(
                    connection,
                    $"SELECT id, operation, vector, encoding FROM embeddings_queue WHERE seq_id IN ({string.Join(',', entries.Select(e => e.ToString(CultureInfo.InvariantCulture)))}) ORDER BY seq_id");
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var id = reader.GetString(0);
                    var vector = reader.IsDBNull(2) ? null : Decode(collection, id, (byte[])reader.GetValue(2), reader.IsDBNull(3) ? "FLOAT32" : reader.GetString(3));
                    var exists = present[id];
                    switch (reader.GetInt64(1))
                    {
                        case 0 when !exists && vector is not null: // add; an add of an existing id is ignored
                        case 2 when vector is not null: // upsert
                            present[id] = true;
                            logged[id] = vector;
                            break;
                        case 1 when exists && vector is not null: // update; of a missing id, ignored
                            logged[id] = vector;
                            break;
                        case 3: // delete
                            present[id] = false;
                            logged.Remove(id);
                            break;
                        case 0 or 1 or 2:
                            break;
                        case var op:
                            throw new ChromaSourceException($"{_databasePath}: embeddings_queue holds operation {op} for record '{id}' of collection '{collection.Name}' (known: 0 add, 1 update, 2 upsert, 3 delete).");
                    }
                }
            }).ConfigureAwait(false);
        }

        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (id, exists) in present)
        {
            if (!exists)
            {
                continue;
            }

            vectors[id] = logged.TryGetValue(id, out var vector)
                ? (source.NormalizeReplayed ? HnswCosine.AsServedAfterInsert(vector) : vector)
                : source.Segment!.Read(id);
        }

        return vectors;
    }

    /// <summary>
    /// The write-ahead log after the segment's <c>max_seq_id</c>, as the seq ids of each record id's entries (read once per
    /// collection, without the vectors; each batch then reads only its own records' entries by seq id).
    /// </summary>
    private async Task<Dictionary<string, List<long>>> ReadLogIndexAsync(
        SqliteConnection connection, ChromaCollectionInfo collection, VectorSource source, CancellationToken cancellationToken)
    {
        var log = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        if (!_schema!.HasQueue)
        {
            return log;
        }

        await Guard(async () =>
        {
            using var command = Sql.Command(
                connection,
                "SELECT seq_id, id FROM embeddings_queue WHERE topic LIKE '%' || $c AND seq_id > $applied ORDER BY seq_id",
                ("$c", collection.Id), ("$applied", source.AppliedSeqId));
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetString(1);
                if (!log.TryGetValue(id, out var seqs))
                {
                    log[id] = seqs = [];
                }

                seqs.Add(reader.GetInt64(0));
            }
        }).ConfigureAwait(false);
        return log;
    }

    private static float[] Decode(ChromaCollectionInfo collection, string id, byte[] bytes, string encoding)
    {
        if (bytes.Length % 4 != 0)
        {
            throw new ChromaSourceException($"Collection '{collection.Name}', record '{id}': vector of {bytes.Length} bytes is not a whole number of 4-byte values.");
        }

        var vector = new float[bytes.Length / 4];
        if (encoding.Equals("FLOAT32", StringComparison.OrdinalIgnoreCase))
        {
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
            }
        }
        else if (encoding.Equals("INT32", StringComparison.OrdinalIgnoreCase))
        {
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4));
            }
        }
        else
        {
            throw new ChromaSourceException($"Collection '{collection.Name}', record '{id}': unsupported vector encoding '{encoding}'.");
        }

        return vector;
    }

    private ChromaSourceException MissingVector(ChromaCollectionInfo collection, VectorSource source, string id) => new(
        source.Segment is not null
            ? $"{Path.Combine(source.Segment.Folder, HnswSegment.PickleFile)}: check 'every record has a vector': record '{id}' of collection '{collection.Name}' is in the metadata segment, but neither the id map ({source.Segment.Count} id(s)) nor the embeddings queue after seq {source.AppliedSeqId} holds its vector."
            : source.Folder is not null && !Directory.Exists(source.Folder)
                ? $"{source.Folder}: check 'segment folder present': the vector segment folder of collection '{collection.Name}' is missing and the embeddings queue in {_databasePath} holds no vector for record '{id}'."
                : $"{_databasePath}: check 'every record has a vector': record '{id}' of collection '{collection.Name}' has no vector in the embeddings queue and its vector segment has persisted none.");

    private static DateTimeOffset? ParseTimestamp(object value) => value switch
    {
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) => t,
        long seconds => DateTimeOffset.FromUnixTimeSeconds(seconds),
        _ => null,
    };

    private async Task Guard(Func<Task> body)
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new ChromaSourceException($"Cannot read {_databasePath} as a Chroma database: {ex.Message}", ex);
        }
    }

    private sealed record Schema(
        bool HasDatabases, bool CollectionsHaveDimension, bool EmbeddingsHaveCreatedAt, bool MetadataHasBool,
        bool HasArrays, bool ArraysHaveBool, bool HasQueue, bool CollectionsHaveConfig, bool CollectionsHaveSchema, bool HasCollectionMetadata, bool HasMaxSeqId);

    /// <summary>Where a collection's vectors come from: the persisted segment (or none) and the log after <see cref="AppliedSeqId"/>.</summary>
    private sealed record VectorSource(HnswSegment? Segment, string? Folder, long AppliedSeqId, bool Cosine, bool NormalizeReplayed) : IDisposable
    {
        public void Dispose() => Segment?.Dispose();
    }
}
