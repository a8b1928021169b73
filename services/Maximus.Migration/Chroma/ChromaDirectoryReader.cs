using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;

namespace Maximus.Migration.Chroma;

/// <summary>
/// Reads a Chroma persistent directory (the folder holding <c>chroma.sqlite3</c>) read-only, Chroma 0.4.x to 1.5.x.
/// The record set, documents and metadata come from the collection's METADATA segment (tables <c>embeddings</c>,
/// <c>embedding_metadata</c>, and <c>embedding_metadata_array</c> when present); vectors come from the write-ahead log
/// <c>embeddings_queue</c> (replayed per id: add, update, upsert, delete). Chroma purges that log once its HNSW segment
/// has persisted the vectors (<c>data_level0.bin</c> plus a pickled id-to-label map): such a collection is refused with
/// an error naming it, since the label map is a Python pickle this reader does not decode — read it through a running
/// Chroma server instead (<c>chroma-http:</c>).
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
        long lastRowId = long.MinValue;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = new List<(long RowId, string Id, DateTimeOffset? CreatedAt)>(batchSize);
            await Guard(async () =>
            {
                using var command = Sql.Command(
                    connection,
                    $"SELECT id, embedding_id, {(schema.EmbeddingsHaveCreatedAt ? "created_at" : "NULL")} FROM embeddings WHERE segment_id = $s AND id > $after ORDER BY id LIMIT $n",
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
            var vectors = await ReadVectorsAsync(connection, collection, rows.Select(r => r.Id).ToList(), cancellationToken).ConfigureAwait(false);
            var batch = new List<ChromaRecord>(rows.Count);
            foreach (var (rowId, id, createdAt) in rows)
            {
                if (!vectors.TryGetValue(id, out var vector))
                {
                    throw MissingVector(collection, id);
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

        var applied = await Sql.ScalarAsync(connection, "SELECT seq_id FROM max_seq_id WHERE segment_id = $s", cancellationToken, ("$s", metadataSegment)).ConfigureAwait(false);
        var appliedSeq = applied switch
        {
            long l => l,
            byte[] { Length: 8 } bytes => (long)BinaryPrimitives.ReadUInt64BigEndian(bytes),
            _ => long.MinValue,
        };
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

    private async Task<Dictionary<string, float[]>> ReadVectorsAsync(SqliteConnection connection, ChromaCollectionInfo collection, List<string> ids, CancellationToken cancellationToken)
    {
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (!_schema!.HasQueue)
        {
            return vectors;
        }

        await Guard(async () =>
        {
            using var command = Sql.Command(connection, string.Empty, ("$c", collection.Id));
            command.CommandText = $"SELECT id, operation, vector, encoding FROM embeddings_queue WHERE topic LIKE '%' || $c AND id IN ({Sql.BindList(command, "$i", ids)}) ORDER BY seq_id";
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                var operation = reader.GetInt64(1);
                if (operation == 3)
                {
                    vectors.Remove(id);
                }
                else if (!reader.IsDBNull(2))
                {
                    vectors[id] = Decode(collection, id, (byte[])reader.GetValue(2), reader.IsDBNull(3) ? "FLOAT32" : reader.GetString(3));
                }
            }
        }).ConfigureAwait(false);
        return vectors;
    }

    private static float[] Decode(ChromaCollectionInfo collection, string id, byte[] bytes, string encoding)
    {
        if (bytes.Length % 4 != 0)
        {
            throw new ChromaSourceException($"Collection '{collection.Name}', record '{id}': vector of {bytes.Length} bytes is not a whole number of 4-byte values.");
        }

        var vector = new float[bytes.Length / 4];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = encoding.ToUpperInvariant() switch
            {
                "FLOAT32" => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4)),
                "INT32" => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4)),
                _ => throw new ChromaSourceException($"Collection '{collection.Name}', record '{id}': unsupported vector encoding '{encoding}'."),
            };
        }

        return vector;
    }

    private ChromaSourceException MissingVector(ChromaCollectionInfo collection, string id)
    {
        var persisted = HnswElementCount(collection);
        return persisted > 0
            ? new ChromaSourceException(
                $"Collection '{collection.Name}' keeps its vectors only in HNSW segment files ({persisted} element(s) in data_level0.bin; record '{id}' is not in the embeddings queue). " +
                "Reading HNSW segments (hnswlib binary + pickled id map) is not supported: migrate this collection from a running Chroma server with --from chroma-http:<url>.")
            : new ChromaSourceException($"Collection '{collection.Name}', record '{id}': no vector found in the embeddings queue or an HNSW segment.");
    }

    /// <summary>cur_element_count from the collection's hnswlib header.bin (chroma-hnswlib layout: int version, then size_t fields), or 0.</summary>
    private long HnswElementCount(ChromaCollectionInfo collection)
    {
        try
        {
            using var connection = Open();
            var segment = Sql.ScalarAsync(connection, "SELECT id FROM segments WHERE collection = $c AND scope = 'VECTOR' LIMIT 1", CancellationToken.None, ("$c", collection.Id))
                .GetAwaiter().GetResult() as string;
            var header = segment is null ? null : Path.Combine(_directory, segment, "header.bin");
            if (header is null || !File.Exists(header))
            {
                return 0;
            }

            var bytes = File.ReadAllBytes(header);
            return bytes.Length >= 28 ? (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(20)) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

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
        bool HasArrays, bool ArraysHaveBool, bool HasQueue, bool HasMaxSeqId);
}
