using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maximus.Migration.Tests;

/// <summary>
/// A FAKE Chroma server — built from the documented HTTP API shapes (v2: <c>/api/v2/tenants/{t}/databases/{d}/collections</c>,
/// v1: <c>/api/v1/collections</c>), NOT a real Chroma. An <see cref="HttpMessageHandler"/> with in-memory state: heartbeat,
/// tenant and database get, collection list/create (get_or_create)/get/delete, count, add, upsert, get (ids, where,
/// limit, offset, include), query (ip, cosine, l2 distances) and delete (ids, where).
/// </summary>
internal sealed class FakeChromaServer(string apiVersion = "v2") : HttpMessageHandler
{
    public static readonly Uri BaseUrl = new("http://fake-chroma.test:8000");

    public sealed class FakeCollection(string id, string name, JsonObject? metadata)
    {
        public string Id { get; } = id;
        public string Name { get; } = name;
        public JsonObject? Metadata { get; } = metadata;
        public List<string> Order { get; } = [];
        public Dictionary<string, (string? Document, JsonObject? Metadata, float[] Embedding)> Records { get; } = new(StringComparer.Ordinal);

        public void Put(string id2, string? document, JsonObject? metadata2, float[] embedding)
        {
            if (!Records.ContainsKey(id2))
            {
                Order.Add(id2);
            }

            Records[id2] = (document, metadata2, embedding);
        }

        public void Remove(string id2)
        {
            Records.Remove(id2);
            Order.Remove(id2);
        }
    }

    private readonly Lock _lock = new();

    public List<FakeCollection> Collections { get; } = [];

    /// <summary>Every request as "METHOD path?query".</summary>
    public List<string> Requests { get; } = [];

    public FakeCollection Collection(string name) => Collections.Single(c => c.Name == name);

    public FakeCollection Seed(string name, JsonObject? metadata = null)
    {
        var collection = new FakeCollection(Guid.NewGuid().ToString(), name, metadata);
        Collections.Add(collection);
        return collection;
    }

    public HttpClient Client() => new(this, disposeHandler: false);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : JsonNode.Parse(await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)) as JsonObject;
        var path = request.RequestUri!.AbsolutePath;
        var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri.Query);
        lock (_lock)
        {
            Requests.Add($"{request.Method} {request.RequestUri.PathAndQuery}");
            var prefix = $"/api/{apiVersion}";
            if (!path.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                return Json(HttpStatusCode.NotFound, new JsonObject { ["error"] = "NotFound" });
            }

            var rest = path[prefix.Length..].Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
            if (rest is ["heartbeat"])
            {
                return Json(HttpStatusCode.OK, new JsonObject { ["nanosecond heartbeat"] = DateTime.UtcNow.Ticks * 100 });
            }

            if (apiVersion == "v2")
            {
                if (rest is ["tenants", var t])
                {
                    return Json(HttpStatusCode.OK, new JsonObject { ["name"] = t });
                }

                if (rest is ["tenants", var t2, "databases", var d])
                {
                    return Json(HttpStatusCode.OK, new JsonObject { ["id"] = Guid.Empty.ToString(), ["name"] = d, ["tenant"] = t2 });
                }

                if (rest is not ["tenants", _, "databases", _, "collections", ..])
                {
                    return Json(HttpStatusCode.NotFound, new JsonObject { ["error"] = "NotFound" });
                }

                rest = rest[4..];
            }

            return Route(request.Method, rest, query, body);
        }
    }

    private HttpResponseMessage Route(HttpMethod method, string[] rest, System.Collections.Specialized.NameValueCollection query, JsonObject? body)
    {
        switch (rest)
        {
            case ["collections"] when method == HttpMethod.Get:
                var offset = int.Parse(query["offset"] ?? "0", System.Globalization.CultureInfo.InvariantCulture);
                var limit = int.Parse(query["limit"] ?? "100000", System.Globalization.CultureInfo.InvariantCulture);
                return Json(HttpStatusCode.OK, new JsonArray([.. Collections.Skip(offset).Take(limit).Select(Describe)]));
            case ["collections"] when method == HttpMethod.Post:
                var name = body!["name"]!.GetValue<string>();
                var existing = Collections.FirstOrDefault(c => c.Name == name);
                if (existing is not null)
                {
                    return body["get_or_create"]?.GetValue<bool>() == true
                        ? Json(HttpStatusCode.OK, Describe(existing))
                        : Json(HttpStatusCode.Conflict, new JsonObject { ["error"] = "UniqueConstraintError", ["message"] = $"Collection {name} already exists" });
                }

                return Json(HttpStatusCode.OK, Describe(Seed(name, body["metadata"] as JsonObject)));
            case ["collections", var n] when method == HttpMethod.Get:
                return Collections.FirstOrDefault(c => c.Name == n) is { } found
                    ? Json(HttpStatusCode.OK, Describe(found))
                    : NotFound(n);
            case ["collections", var n2] when method == HttpMethod.Delete:
                return Collections.RemoveAll(c => c.Name == n2) > 0 ? Json(HttpStatusCode.OK, new JsonObject()) : NotFound(n2);
        }

        if (rest is not ["collections", var id, var op] || Collections.FirstOrDefault(c => c.Id == id) is not { } collection)
        {
            return Json(HttpStatusCode.NotFound, new JsonObject { ["error"] = "NotFoundError", ["message"] = "Collection does not exist." });
        }

        switch (op)
        {
            case "count":
                return Json(HttpStatusCode.OK, JsonValue.Create(collection.Records.Count));
            case "add" or "upsert":
                var ids = body!["ids"]!.AsArray();
                for (var i = 0; i < ids.Count; i++)
                {
                    var rid = ids[i]!.GetValue<string>();
                    if (op == "add" && collection.Records.ContainsKey(rid))
                    {
                        continue;
                    }

                    collection.Put(
                        rid,
                        body["documents"]?[i]?.GetValue<string>(),
                        body["metadatas"]?[i]?.DeepClone() as JsonObject,
                        [.. body["embeddings"]![i]!.AsArray().Select(v => v!.GetValue<float>())]);
                }

                return Json(HttpStatusCode.OK, new JsonObject());
            case "get":
                var selected = Select(collection, body).Skip(body?["offset"]?.GetValue<int>() ?? 0).Take(body?["limit"]?.GetValue<int>() ?? int.MaxValue).ToList();
                return Json(HttpStatusCode.OK, Result(collection, selected, Includes(body), null));
            case "query":
                var vector = body!["query_embeddings"]![0]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
                var space = collection.Metadata?["hnsw:space"]?.GetValue<string>() ?? "l2";
                var ranked = Select(collection, body)
                    .Select(r => (Id: r, Distance: Distance(space, vector, collection.Records[r].Embedding)))
                    .OrderBy(r => r.Distance).Take(body["n_results"]?.GetValue<int>() ?? 10).ToList();
                var result = Result(collection, [.. ranked.Select(r => r.Id)], Includes(body), [.. ranked.Select(r => r.Distance)]);
                return Json(HttpStatusCode.OK, new JsonObject(result.Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : (JsonNode)new JsonArray(p.Value.DeepClone())))));
            case "delete":
                var doomed = Select(collection, body).ToList();
                foreach (var rid in doomed)
                {
                    collection.Remove(rid);
                }

                return Json(HttpStatusCode.OK, new JsonArray([.. doomed.Select(d => JsonValue.Create(d))]));
            default:
                return Json(HttpStatusCode.NotFound, new JsonObject { ["error"] = "NotFound" });
        }
    }

    private static HttpResponseMessage NotFound(string name) =>
        Json(HttpStatusCode.NotFound, new JsonObject { ["error"] = "NotFoundError", ["message"] = $"Collection [{name}] does not exist" });

    private static JsonObject Describe(FakeCollection c) => new()
    {
        ["id"] = c.Id,
        ["name"] = c.Name,
        ["metadata"] = c.Metadata?.DeepClone(),
        ["dimension"] = c.Records.Count == 0 ? null : c.Records.Values.First().Embedding.Length,
        ["tenant"] = "default_tenant",
        ["database"] = "default_database",
    };

    private static HashSet<string> Includes(JsonObject? body) =>
        body?["include"] is JsonArray include ? [.. include.Select(i => i!.GetValue<string>())] : ["documents", "metadatas"];

    private static IEnumerable<string> Select(FakeCollection collection, JsonObject? body)
    {
        var ids = body?["ids"] is JsonArray wanted ? wanted.Select(i => i!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) : null;
        var where = body?["where"] as JsonObject;
        return collection.Order.Where(id => (ids is null || ids.Contains(id)) && (where is null || Matches(where, collection.Records[id].Metadata))).ToList();
    }

    private static JsonObject Result(FakeCollection collection, List<string> ids, HashSet<string> include, List<float>? distances) => new()
    {
        ["ids"] = new JsonArray([.. ids.Select(i => JsonValue.Create(i))]),
        ["documents"] = include.Contains("documents") ? new JsonArray([.. ids.Select(i => JsonValue.Create(collection.Records[i].Document))]) : null,
        ["metadatas"] = include.Contains("metadatas") ? new JsonArray([.. ids.Select(i => collection.Records[i].Metadata?.DeepClone())]) : null,
        ["embeddings"] = include.Contains("embeddings")
            ? new JsonArray([.. ids.Select(i => new JsonArray([.. collection.Records[i].Embedding.Select(v => JsonValue.Create(v))]))])
            : null,
        ["distances"] = distances is not null && include.Contains("distances") ? new JsonArray([.. distances.Select(d => JsonValue.Create(d))]) : null,
    };

    private static float Distance(string space, float[] a, float[] b)
    {
        var dot = a.Zip(b, (x, y) => (double)x * y).Sum();
        return space switch
        {
            "ip" => (float)(1 - dot),
            "cosine" => (float)(1 - (dot / (Math.Sqrt(a.Sum(x => (double)x * x)) * Math.Sqrt(b.Sum(x => (double)x * x))))),
            _ => (float)a.Zip(b, (x, y) => ((double)x - y) * (x - y)).Sum(),
        };
    }

    /// <summary>Chroma's where: <c>$and</c>, <c>$or</c>, <c>{"k": v}</c>, <c>$eq $ne $gt $gte $lt $lte $in $nin</c>.</summary>
    private static bool Matches(JsonObject where, JsonObject? metadata)
    {
        foreach (var (key, condition) in where)
        {
            var ok = key switch
            {
                "$and" => condition!.AsArray().All(c => Matches(c!.AsObject(), metadata)),
                "$or" => condition!.AsArray().Any(c => Matches(c!.AsObject(), metadata)),
                _ => condition is JsonObject ops
                    ? ops.All(op => Compare(op.Key, metadata?[key], op.Value))
                    : Compare("$eq", metadata?[key], condition),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Compare(string op, JsonNode? value, JsonNode? operand)
    {
        static bool Equal(JsonNode? a, JsonNode? b) => a is not null && b is not null && JsonNode.DeepEquals(Normal(a), Normal(b));
        static JsonNode Normal(JsonNode n) => n.GetValueKind() == JsonValueKind.Number ? JsonValue.Create(n.GetValue<double>()) : n;
        double? number = value?.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;
        var bound = operand?.GetValueKind() == JsonValueKind.Number ? operand.GetValue<double>() : double.NaN;
        return op switch
        {
            "$eq" => Equal(value, operand),
            "$ne" => !Equal(value, operand),
            "$in" => operand!.AsArray().Any(o => Equal(value, o)),
            "$nin" => !operand!.AsArray().Any(o => Equal(value, o)),
            "$gt" => number > bound,
            "$gte" => number >= bound,
            "$lt" => number < bound,
            "$lte" => number <= bound,
            _ => throw new InvalidOperationException($"The fake Chroma server does not know the operator {op}."),
        };
    }

    private static HttpResponseMessage Json(HttpStatusCode status, JsonNode? body) =>
        new(status) { Content = JsonContent.Create(body, options: new JsonSerializerOptions()) };
}
