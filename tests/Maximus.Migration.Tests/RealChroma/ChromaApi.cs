using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Maximus.Migration.Tests.RealChroma;

/// <summary>A record as the real server serves it.</summary>
internal sealed record Served(string Id, string? Document, JsonObject? Metadata, float[] Vector);

/// <summary>
/// The test's own plain-HTTP view of a real Chroma server (API v2, default tenant and database), independent of the
/// code under test: create collections, add, update, upsert, delete, and read everything back page by page.
/// </summary>
internal sealed class ChromaApi(Uri baseUrl) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };

    private const string Collections = "/api/v2/tenants/default_tenant/databases/default_database/collections";

    public void Dispose() => _http.Dispose();

    /// <summary>Creates a collection with this distance (<c>l2</c>, <c>cosine</c>, <c>ip</c>); returns its id.</summary>
    public async Task<string> CreateAsync(string name, string space, CancellationToken ct)
    {
        var created = await SendAsync(HttpMethod.Post, Collections, new JsonObject { ["name"] = name, ["metadata"] = new JsonObject { ["hnsw:space"] = space } }, ct);
        return created!["id"]!.GetValue<string>();
    }

    /// <summary>The collection's id, or null when the server has no collection of that name.</summary>
    public async Task<string?> FindAsync(string name, CancellationToken ct)
    {
        using var response = await _http.GetAsync(new Uri($"{Collections}/{Uri.EscapeDataString(name)}", UriKind.Relative), ct);
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["id"]!.GetValue<string>() : null;
    }

    public Task AddAsync(string id, IReadOnlyList<Served> records, CancellationToken ct) => WriteAsync(id, "add", records, ct);

    public Task UpdateAsync(string id, IReadOnlyList<Served> records, CancellationToken ct) => WriteAsync(id, "update", records, ct);

    public Task UpsertAsync(string id, IReadOnlyList<Served> records, CancellationToken ct) => WriteAsync(id, "upsert", records, ct);

    public Task DeleteAsync(string id, IEnumerable<string> ids, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"{Collections}/{id}/delete", new JsonObject { ["ids"] = Strings(ids) }, ct);

    /// <summary>Every record of the collection, 250 per page, in the order the server serves them.</summary>
    public async Task<List<Served>> AllAsync(string id, CancellationToken ct)
    {
        var all = new List<Served>();
        for (var offset = 0; ; offset += 250)
        {
            var page = await SendAsync(HttpMethod.Post, $"{Collections}/{id}/get", new JsonObject
            {
                ["limit"] = 250,
                ["offset"] = offset,
                ["include"] = new JsonArray("documents", "metadatas", "embeddings"),
            }, ct);
            var ids = page!["ids"]!.AsArray();
            for (var i = 0; i < ids.Count; i++)
            {
                all.Add(new Served(
                    ids[i]!.GetValue<string>(),
                    page["documents"]![i]?.GetValue<string>(),
                    page["metadatas"]![i]?.DeepClone() as JsonObject,
                    [.. page["embeddings"]![i]!.AsArray().Select(v => v!.GetValue<float>())]));
            }

            if (ids.Count < 250)
            {
                return all;
            }
        }
    }

    private Task WriteAsync(string id, string operation, IReadOnlyList<Served> records, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"{Collections}/{id}/{operation}", new JsonObject
        {
            ["ids"] = Strings(records.Select(r => r.Id)),
            ["embeddings"] = new JsonArray([.. records.Select(r => new JsonArray([.. r.Vector.Select(v => JsonValue.Create(v))]))]),
            ["documents"] = new JsonArray([.. records.Select(r => JsonValue.Create(r.Document))]),
            ["metadatas"] = new JsonArray([.. records.Select(r => r.Metadata?.DeepClone())]),
        }, ct);

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => JsonValue.Create(v))]);

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };
        using var response = await _http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }
}
