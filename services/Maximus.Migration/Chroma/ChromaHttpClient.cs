using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maximus.Migration.Chroma;

/// <summary>
/// A Chroma server over its HTTP API: v2 (<c>/api/v2/tenants/{tenant}/databases/{database}/collections/...</c>, Chroma 0.6
/// and 1.x) or v1 (<c>/api/v1/collections/...</c>, 0.4 and 0.5), chosen by which heartbeat answers. Reads page with
/// <c>limit</c>/<c>offset</c> on <c>POST .../get</c>; writes use <c>upsert</c> and <c>delete</c>. Used as a migration source
/// and as a small writer (get-or-create collection, upsert, get, delete) for an old Chroma server.
/// </summary>
public sealed class ChromaHttpClient(HttpClient http, Uri baseUrl, string tenant = "default_tenant", string database = "default_database") : IChromaSource
{
    private static readonly string[] Include = ["documents", "metadatas", "embeddings"];
    private string? _prefix;

    public string Description => $"chroma-http:{baseUrl}";

    /// <summary>"v2" or "v1", once detected.</summary>
    public string? ApiVersion { get; private set; }

    public async Task<IReadOnlyList<ChromaCollectionInfo>> ListCollectionsAsync(CancellationToken cancellationToken = default)
    {
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<ChromaCollectionInfo>();
        const int page = 100;
        for (var offset = 0; ; offset += page)
        {
            var list = await SendAsync(HttpMethod.Get, $"{CollectionsPath(prefix)}{(ApiVersion == "v1" ? $"?tenant={Uri.EscapeDataString(tenant)}&database={Uri.EscapeDataString(database)}&" : "?")}limit={page}&offset={offset}", null, cancellationToken).ConfigureAwait(false) as JsonArray
                ?? throw new ChromaSourceException($"{Description}: the collection list is not a JSON array.");
            foreach (var item in list.OfType<JsonObject>())
            {
                var id = item["id"]?.GetValue<string>() ?? throw new ChromaSourceException($"{Description}: a collection without id.");
                var count = await SendAsync(HttpMethod.Get, $"{CollectionsPath(prefix)}/{id}/count", null, cancellationToken).ConfigureAwait(false);
                result.Add(new ChromaCollectionInfo(
                    id, item["name"]?.GetValue<string>() ?? id,
                    item["dimension"] is JsonValue d && d.GetValueKind() == JsonValueKind.Number ? d.GetValue<int>() : null,
                    count?.GetValue<long>() ?? 0, database, tenant));
            }

            if (list.Count < page)
            {
                return result;
            }
        }
    }

    public async IAsyncEnumerable<IReadOnlyList<ChromaRecord>> ReadAsync(
        ChromaCollectionInfo collection, int batchSize, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        for (var offset = 0; ; offset += batchSize)
        {
            var body = new JsonObject { ["limit"] = batchSize, ["offset"] = offset, ["include"] = new JsonArray([.. Include.Select(i => JsonValue.Create(i))]) };
            var records = Records(collection.Name, await SendAsync(HttpMethod.Post, $"{CollectionsPath(prefix)}/{collection.Id}/get", body, cancellationToken).ConfigureAwait(false));
            if (records.Count > 0)
            {
                yield return records;
            }

            if (records.Count < batchSize)
            {
                yield break;
            }
        }
    }

    public async Task DeleteCollectionAsync(string name, CancellationToken cancellationToken = default)
    {
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        await SendAsync(HttpMethod.Delete, $"{CollectionsPath(prefix)}/{Uri.EscapeDataString(name)}", null, cancellationToken).ConfigureAwait(false);
    }

    public async Task UpsertAsync(string collectionId, IReadOnlyList<ChromaRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        var body = new JsonObject
        {
            ["ids"] = new JsonArray([.. records.Select(r => JsonValue.Create(r.Id))]),
            ["embeddings"] = new JsonArray([.. records.Select(r => new JsonArray([.. r.Embedding.Select(f => JsonValue.Create(f))]))]),
            ["documents"] = new JsonArray([.. records.Select(r => JsonValue.Create(r.Document))]),
            ["metadatas"] = new JsonArray([.. records.Select(r => r.Metadata.Count == 0 ? null : r.Metadata.DeepClone())]),
        };
        await SendAsync(HttpMethod.Post, $"{CollectionsPath(prefix)}/{collectionId}/upsert", body, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string collectionId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        await SendAsync(HttpMethod.Post, $"{CollectionsPath(prefix)}/{collectionId}/delete",
            new JsonObject { ["ids"] = new JsonArray([.. ids.Select(i => JsonValue.Create(i))]) }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The records with these ids (missing ids left out).</summary>
    public async Task<IReadOnlyList<ChromaRecord>> GetAsync(string collectionId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        var body = new JsonObject { ["ids"] = new JsonArray([.. ids.Select(i => JsonValue.Create(i))]), ["include"] = new JsonArray([.. Include.Select(i => JsonValue.Create(i))]) };
        return Records(collectionId, await SendAsync(HttpMethod.Post, $"{CollectionsPath(prefix)}/{collectionId}/get", body, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The collection object (id, name, metadata) by name, or null when it does not exist.</summary>
    public async Task<JsonObject?> FindCollectionAsync(string name, CancellationToken cancellationToken = default)
    {
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        return await SendAsync(HttpMethod.Get, $"{CollectionsPath(prefix)}/{Uri.EscapeDataString(name)}{TenantQuery()}", null, cancellationToken, allowNotFound: true)
            .ConfigureAwait(false) as JsonObject;
    }

    /// <summary>Creates the collection with this metadata, or returns the existing one (its metadata unchanged).</summary>
    public async Task<JsonObject> CreateCollectionAsync(string name, JsonObject? metadata, CancellationToken cancellationToken = default)
    {
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        var body = new JsonObject { ["name"] = name, ["get_or_create"] = true };
        if (metadata is { Count: > 0 })
        {
            body["metadata"] = metadata.DeepClone();
        }

        return await SendAsync(HttpMethod.Post, $"{CollectionsPath(prefix)}{TenantQuery()}", body, cancellationToken).ConfigureAwait(false) as JsonObject
            ?? throw new ChromaSourceException($"{Description}: creating collection '{name}' returned no collection.");
    }

    /// <summary>The number of records in the collection.</summary>
    public async Task<long> CountAsync(string collectionId, CancellationToken cancellationToken = default)
    {
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        var count = await SendAsync(HttpMethod.Get, $"{CollectionsPath(prefix)}/{collectionId}/count", null, cancellationToken).ConfigureAwait(false);
        return count?.GetValue<long>() ?? 0;
    }

    /// <summary><c>POST .../get</c> with a caller-built body (ids, where, limit, offset, include); the raw response.</summary>
    public async Task<JsonObject> GetRawAsync(string collectionId, JsonObject body, CancellationToken cancellationToken = default)
    {
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        return await SendAsync(HttpMethod.Post, $"{CollectionsPath(prefix)}/{collectionId}/get", body, cancellationToken).ConfigureAwait(false) as JsonObject
            ?? throw new ChromaSourceException($"{Description}: a get on '{collectionId}' returned no object.");
    }

    /// <summary><c>POST .../query</c> with a caller-built body (query_embeddings, n_results, where, include); the raw response.</summary>
    public async Task<JsonObject> QueryRawAsync(string collectionId, JsonObject body, CancellationToken cancellationToken = default)
    {
        var prefix = await PrefixAsync(cancellationToken).ConfigureAwait(false);
        return await SendAsync(HttpMethod.Post, $"{CollectionsPath(prefix)}/{collectionId}/query", body, cancellationToken).ConfigureAwait(false) as JsonObject
            ?? throw new ChromaSourceException($"{Description}: a query on '{collectionId}' returned no object.");
    }

    private string TenantQuery() => ApiVersion == "v1"
        ? $"?tenant={Uri.EscapeDataString(tenant)}&database={Uri.EscapeDataString(database)}"
        : "";

    private string CollectionsPath(string prefix) => ApiVersion == "v2"
        ? $"{prefix}/tenants/{Uri.EscapeDataString(tenant)}/databases/{Uri.EscapeDataString(database)}/collections"
        : $"{prefix}/collections";

    private async Task<string> PrefixAsync(CancellationToken cancellationToken)
    {
        if (_prefix is not null)
        {
            return _prefix;
        }

        foreach (var version in new[] { "v2", "v1" })
        {
            try
            {
                using var response = await http.GetAsync(new Uri(baseUrl, $"/api/{version}/heartbeat"), cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    ApiVersion = version;
                    return _prefix = $"/api/{version}";
                }
            }
            catch (HttpRequestException ex)
            {
                throw new ChromaSourceException($"Chroma server at {baseUrl} is unreachable: {ex.Message}", ex);
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ChromaSourceException($"Chroma server at {baseUrl} did not answer in time.", ex);
            }
        }

        throw new ChromaSourceException($"{baseUrl} is not a Chroma server: neither /api/v2/heartbeat nor /api/v1/heartbeat answers.");
    }

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken, bool allowNotFound = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(baseUrl, path));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (allowNotFound && (response.StatusCode == System.Net.HttpStatusCode.NotFound
                || (!response.IsSuccessStatusCode && text.Contains("does not exist", StringComparison.OrdinalIgnoreCase))))
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new ChromaSourceException($"{Description}: {method} {path} answered {(int)response.StatusCode}: {text}");
            }

            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (HttpRequestException ex)
        {
            throw new ChromaSourceException($"Chroma server at {baseUrl} is unreachable: {ex.Message}", ex);
        }
        catch (JsonException ex)
        {
            throw new ChromaSourceException($"{Description}: {method} {path} did not answer JSON: {ex.Message}", ex);
        }
    }

    private List<ChromaRecord> Records(string collection, JsonNode? response)
    {
        var ids = response?["ids"] as JsonArray ?? throw new ChromaSourceException($"{Description}: a get on '{collection}' returned no ids.");
        var documents = response!["documents"] as JsonArray;
        var metadatas = response["metadatas"] as JsonArray;
        var embeddings = response["embeddings"] as JsonArray;
        var records = new List<ChromaRecord>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i]!.GetValue<string>();
            var vector = embeddings?[i] as JsonArray
                ?? throw new ChromaSourceException($"{Description}: record '{id}' of '{collection}' came without its embedding.");
            records.Add(new ChromaRecord(
                id,
                documents?[i]?.GetValue<string>(),
                metadatas?[i] is JsonObject m ? (JsonObject)m.DeepClone() : [],
                [.. vector.Select(v => v!.GetValue<float>())]));
        }

        return records;
    }
}
