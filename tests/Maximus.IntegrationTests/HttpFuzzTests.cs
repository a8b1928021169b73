using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using static Maximus.IntegrationTests.Http;

namespace Maximus.IntegrationTests;

/// <summary>
/// Bad input, fuzzed: every <see cref="ServiceOperation"/> the host registers (role <c>all</c>, embedded runtime) gets
/// requests built by a seeded generator (<see cref="FuzzInput"/>): random JSON shapes, wrong types for the request type's
/// own fields, huge strings and arrays, invalid UTF-8, a wrong content type, path values with <c>..</c>, <c>%00</c>,
/// <c>%2F</c> and very long ids, bad query values. The properties: never a 5xx; every error is problem+json, and a 400
/// names the field; a refused request leaves every SQLite file of the data folder as it was (a digest of each row), except
/// the vault's audit trail, which records denied reads on purpose.
/// The seed is fixed (set <c>MAXIMUS_FUZZ_SEED</c> to explore others); a failure prints the seed and the request.
/// </summary>
public sealed partial class HttpFuzzTests
{
    /// <summary>Cases per operation; 37 operations give 740 requests, 10–40 s here.</summary>
    private const int CasesPerOperation = 20;

    [Fact]
    public async Task Every_operation_refuses_bad_input_with_a_4xx_problem_and_writes_nothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("MAXIMUS_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 17_2026;
        await using var host = new MaximusHostFactory("all", "embedded");

        // Over Kestrel on the loopback, not the in-memory test server: %00 and other bytes in a path reach the real server.
        host.UseKestrel(0);
        host.StartServer();
        using var client = host.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        var operations = host.Services.GetServices<ServiceOperation>()
            .OrderBy(o => o.AppId, StringComparer.Ordinal).ThenBy(o => o.Route, StringComparer.Ordinal).ThenBy(o => o.Verb, StringComparer.Ordinal)
            .ToList();
        Assert.True(operations.Count >= 30, $"only {operations.Count} operations are registered");

        var failures = new List<string>();
        var cases = 0;
        var refusedByServer = 0;
        foreach (var operation in operations)
        {
            var random = new Random(HashCode.Combine(seed, StableHash(operation.Verb + " " + operation.Route)));
            for (var i = 0; i < CasesPerOperation; i++)
            {
                var request = FuzzInput.Build(operation, random, i);
                var before = StateSnapshot.Take(host.DataDirectory);
                using var response = await SendAsync(client, request);
                if (response is null)
                {
                    failures.Add($"seed {seed}, {request.Describe()}: no answer, twice");
                    continue;
                }

                cases++;
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync(Ct);
                var what = $"seed {seed}, {request.Describe()} → {status}";
                if (status >= 500)
                {
                    failures.Add($"{what}: {Cut(body)}");
                    continue;
                }

                if (status < 400)
                {
                    // An accepted request may go on in the background (a reflection writes its lesson later): let it
                    // finish, so that the next refused request is judged on its own writes only.
                    await StateSnapshot.WaitUntilQuietAsync(host.DataDirectory);
                    continue;
                }

                if (body.Length == 0 && request.RefusedByKestrel(status))
                {
                    // Kestrel refuses a NUL in the path (400) and a request line over its 8 KiB limit (414) before any app code runs.
                    refusedByServer++;
                    continue;
                }

                if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"{what}: not problem+json ({response.Content.Headers.ContentType}): {Cut(body)}");
                    continue;
                }

                if (status == 400 && JsonNode.Parse(body)?["field"]?.GetValue<string>() is not { Length: > 0 })
                {
                    failures.Add($"{what}: a 400 that names no field: {Cut(body)}");
                }

                // The one write a refusal makes by design: the vault audits every read, the denied ones too.
                var changed = StateSnapshot.Diff(before, StateSnapshot.Take(host.DataDirectory))
                    .Where(d => !(status == 403 && operation.Route.Contains("/vault/", StringComparison.Ordinal) && VaultAudit().IsMatch(d)))
                    .ToList();
                if (changed.Count > 0)
                {
                    failures.Add($"{what}: refused, yet the data folder changed: {string.Join(", ", changed)}");
                }
            }
        }

        TestContext.Current.SendDiagnosticMessage($"{cases} fuzzed requests over {operations.Count} operations, {refusedByServer} refused by Kestrel before the app");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} fuzzed requests broke a property:\n" + string.Join("\n", failures.Take(60)));
        Assert.Equal(operations.Count * CasesPerOperation, cases);
    }

    /// <summary>
    /// Sends the request; null when there is no answer twice. A server may answer a request it refuses before reading its
    /// body and close the connection, which the client can see as a broken pipe while it still uploads: that is tried once
    /// more on a new connection.
    /// </summary>
    private static async Task<HttpResponseMessage?> SendAsync(HttpClient client, FuzzRequest request)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var message = request.ToMessage();
            message.Headers.ConnectionClose = attempt > 0;
            try
            {
                return await client.SendAsync(message, Ct);
            }
            catch (HttpRequestException) when (attempt == 0)
            {
                // Once more, below.
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }

        return null;
    }

    private static int StableHash(string text) => BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Cut(string text) => text.Length > 300 ? text[..300] + "…" : text;
}

/// <summary>One fuzzed request: a verb, a path with query, a body (raw bytes) and its content type.</summary>
internal sealed record FuzzRequest(string Verb, string PathAndQuery, byte[]? Body, string? ContentType, string Kind)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Verb), new Uri(PathAndQuery, UriKind.Relative));
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(ContentType);
            }
        }

        return message;
    }

    /// <summary>Whether Kestrel itself answers <paramref name="status"/> to this request: a NUL in the path, or a request line over 8 KiB.</summary>
    public bool RefusedByKestrel(int status)
    {
        var path = PathAndQuery.Split('?')[0];
        return (status == 400 && path.Contains("%00", StringComparison.Ordinal)) || (status == 414 && Verb.Length + PathAndQuery.Length + 11 > 8 * 1024);
    }

    public string Describe()
    {
        var path = PathAndQuery.Length > 160 ? PathAndQuery[..160] + "…" : PathAndQuery;
        var body = Body is null ? "" : " body " + (Body.Length > 160 ? Encoding.UTF8.GetString(Body, 0, 160) + $"… ({Body.Length} bytes)" : Encoding.UTF8.GetString(Body));
        return $"[{Kind}] {Verb} {path}{body}";
    }
}

/// <summary>The seeded generator of <see cref="FuzzRequest"/>s for one operation.</summary>
internal static class FuzzInput
{
    private static readonly string[] BadSegments =
    [
        "..", "%2e%2e", "%2E%2E%2F%2E%2E", "%00", "a%00b", "%2F", "a%2Fb", "%20", "%25", "%FF%FE", "%C0%AF", "%E2%80%AE", "%F0%9F%92%A9",
        "null", "-1", "0", "9999999999999999999999", "%7B%7D", "%22", "%27%3B--", "CON", "~", "*",
    ];

    private static readonly string[] BadQueryValues = ["-1", "0", "abc", "99999999999", "1e9", "%00", "", "NaN", "2147483648", "%FF"];

    public static FuzzRequest Build(ServiceOperation operation, Random random, int index)
    {
        var prefix = AppIds.Services.Contains(operation.AppId) ? "" : "/" + operation.AppId;
        var kind = index % 11;

        // Extreme values go deep only behind a plausible route: an agent id and entity ids the handlers accept.
        var path = prefix + "/" + (kind is 7 or 8 or 9 ? PlausibleRoute(operation.Route, random) : FillRoute(operation.Route, random, index));
        var query = random.Next(3) == 0 ? $"?{QueryName(random)}={BadQueryValues[random.Next(BadQueryValues.Length)]}" : "";
        if (operation.RequestType is null)
        {
            return new FuzzRequest(operation.Verb, path + query, null, null, "route");
        }

        return kind switch
        {
            0 => new(operation.Verb, path + query, Encoding.UTF8.GetBytes(RandomJson(random, 0)?.ToJsonString() ?? "null"), "application/json", "random-shape"),
            1 => new(operation.Verb, path + query, WrongTypes(operation.RequestType, random), "application/json", "wrong-types"),
            2 => new(operation.Verb, path + query, HugeValues(operation.RequestType, random), "application/json", "huge"),
            3 => new(operation.Verb, path + query, InvalidUtf8(operation.RequestType, random), "application/json", "invalid-utf8"),
            4 => new(operation.Verb, path + query, Encoding.UTF8.GetBytes("{\"a\":"), "application/json", "truncated"),
            5 => new(operation.Verb, path + query, Encoding.UTF8.GetBytes("{}"), "text/plain", "content-type"),
            6 => new(operation.Verb, path + query, [], "application/json", "empty"),
            7 or 8 or 9 => new(operation.Verb, path + query, ExtremeBody(operation.RequestType, random), "application/json", "extreme-values"),
            _ => new(operation.Verb, path + query, WrongTypes(operation.RequestType, random, nullsToo: true), "application/json", "nulls"),
        };
    }

    private static string QueryName(Random random) => random.Next(4) switch
    {
        0 => "limit",
        1 => "offset",
        2 => "context",
        _ => "k",
    };

    private static string PlausibleRoute(string route, Random random) =>
        string.Join('/', route.Split('/').Select(segment => segment switch
        {
            "{agentId}" => "default",
            ['{', .., '}'] => random.Next(2) == 0 ? "default" : "fuzz-" + random.Next(100),
            _ => segment,
        }));

    private static string FillRoute(string route, Random random, int index)
    {
        var segments = route.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i] is ['{', .., '}'])
            {
                segments[i] = ((index + i) % 3) switch
                {
                    0 => BadSegments[random.Next(BadSegments.Length)],
                    1 => new string('x', random.Next(300, 3000)),
                    _ => Uri.EscapeDataString(RandomString(random, random.Next(1, 40))),
                };
            }
        }

        return string.Join('/', segments);
    }

    /// <summary>
    /// A value of the right JSON type for <paramref name="type"/> with an extreme content: empty, huge, negative, out of
    /// range, path-like, control characters; records are filled field by field (recursively), lists get 0–3 such items.
    /// </summary>
    private static JsonNode? Extreme(Type type, Random random, int depth, bool nullable = false)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (nullable && (depth > 4 || random.Next(8) == 0))
        {
            return null;
        }

        if (type == typeof(string))
        {
            string[] texts = ["", " ", "..", "../../etc/passwd", "a/b", "\0", "\u0000", "%00", "\u202e\ud83d\ude00", "(", "(and (on a b)", "?", "*", "default"];
            return random.Next(5) == 0 && depth < 3 ? JsonValue.Create(new string('q', random.Next(5_000, 100_000))) : JsonValue.Create(Unescape(texts[random.Next(texts.Length)]) + (random.Next(2) == 0 ? RandomString(random, 5) : ""));
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(short))
        {
            long[] ints = [int.MinValue, -1, 0, 1, int.MaxValue, 1_000_000];
            return JsonValue.Create(ints[random.Next(ints.Length)]);
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            double[] reals = [-1e308, -1, 0, 1e-320, 1, 1e308];
            return JsonValue.Create(reals[random.Next(reals.Length)]);
        }

        if (type == typeof(bool))
        {
            return JsonValue.Create(random.Next(2) == 0);
        }

        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            string[] dates = ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "1970-01-01T00:00:00Z", "2026-02-28T23:59:59.9999999-14:00"];
            return JsonValue.Create(dates[random.Next(dates.Length)]);
        }

        if (type == typeof(TimeSpan))
        {
            string[] spans = ["00:00:00", "-00:00:01", "10675199.02:48:05.4775807"];
            return JsonValue.Create(spans[random.Next(spans.Length)]);
        }

        if (type.IsEnum)
        {
            var names = Enum.GetNames(type);
            return random.Next(10) == 0 ? JsonValue.Create(99) : JsonValue.Create(names[random.Next(names.Length)]);
        }

        if (type == typeof(JsonElement) || type == typeof(JsonNode) || type == typeof(object))
        {
            return RandomJson(random, depth + 1);
        }

        if (type.IsArray || (type.IsGenericType && type.GetInterfaces().Append(type).Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))))
        {
            var arguments = type.IsArray ? [type.GetElementType()!] : type.GetGenericArguments();
            if (arguments.Length == 2)
            {
                var map = new JsonObject();
                for (var i = random.Next(0, 3); i > 0; i--)
                {
                    map[random.Next(3) == 0 ? "" : RandomString(random, random.Next(1, 10)) + i] = Extreme(arguments[1], random, depth + 1);
                }

                return map;
            }

            var count = depth > 4 ? 0 : random.Next(8) == 0 && depth < 2 ? random.Next(1_000, 5_000) : random.Next(0, 4);
            return new JsonArray(Enumerable.Range(0, count).Select(_ => Extreme(arguments[0], random, depth + 1)).ToArray());
        }

        var obj = new JsonObject();
        var nullability = new NullabilityInfoContext();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract"))
        {
            var optional = nullability.Create(property).ReadState == NullabilityState.Nullable;
            if (!optional || random.Next(4) != 0)
            {
                obj[JsonNamingPolicy.CamelCase.ConvertName(property.Name)] = Extreme(property.PropertyType, random, depth + 1, optional);
            }
        }

        return obj;
    }

    /// <summary>An <see cref="Extreme"/> body of at most 1 MB (Kestrel's own 30 MB limit is not what this test is about).</summary>
    private static byte[] ExtremeBody(Type type, Random random)
    {
        while (true)
        {
            var body = Encoding.UTF8.GetBytes(Extreme(type, random, 0)?.ToJsonString() ?? "null");
            if (body.Length <= 1_000_000)
            {
                return body;
            }
        }
    }

    private static string Unescape(string text) => System.Text.RegularExpressions.Regex.Unescape(text);

    /// <summary>The request type's own property names, each given a value of another JSON type.</summary>
    private static byte[] WrongTypes(Type type, Random random, bool nullsToo = false)
    {
        var body = new JsonObject();
        foreach (var name in FieldNames(type))
        {
            body[name] = nullsToo && random.Next(2) == 0 ? null : random.Next(6) switch
            {
                0 => JsonValue.Create(random.Next()),
                1 => JsonValue.Create(RandomString(random, 8)),
                2 => new JsonArray(JsonValue.Create(1), JsonValue.Create("two"), null),
                3 => new JsonObject { ["nested"] = JsonValue.Create(true) },
                4 => JsonValue.Create(-1.5e300),
                _ => JsonValue.Create(false),
            };
        }

        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    /// <summary>One field a huge string (up to 200k characters) or a huge array (up to 20k items), the others small.</summary>
    private static byte[] HugeValues(Type type, Random random)
    {
        var body = new JsonObject();
        var names = FieldNames(type);
        var huge = random.Next(Math.Max(1, names.Count));
        foreach (var (name, i) in names.Select((n, i) => (n, i)))
        {
            body[name] = i != huge ? JsonValue.Create(RandomString(random, 8)) : random.Next(2) == 0
                ? JsonValue.Create(new string((char)('a' + random.Next(26)), random.Next(10_000, 200_000)))
                : new JsonArray(Enumerable.Range(0, random.Next(1_000, 20_000)).Select(i => (JsonNode?)JsonValue.Create("v" + i)).ToArray());
        }

        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    private static byte[] InvalidUtf8(Type type, Random random)
    {
        var name = FieldNames(type).DefaultIfEmpty("text").ElementAt(random.Next(Math.Max(1, FieldNames(type).Count)));
        var bytes = new List<byte>(Encoding.UTF8.GetBytes($"{{\"{name}\":\"ab"));
        bytes.AddRange(random.Next(3) switch
        {
            0 => [0xC3, 0x28],
            1 => [0xFF, 0xFE, 0xFD],
            _ => [0xED, 0xA0, 0x80],
        });
        bytes.AddRange(Encoding.UTF8.GetBytes("\"}"));
        return [.. bytes];
    }

    private static JsonNode? RandomJson(Random random, int depth) => (depth > 3 ? random.Next(5) : random.Next(7)) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next(-1000, 1000)),
        2 => JsonValue.Create(RandomString(random, random.Next(0, 30))),
        3 => JsonValue.Create(random.Next(2) == 0),
        4 => JsonValue.Create(random.NextDouble() * 1e10),
        5 => new JsonArray(Enumerable.Range(0, random.Next(0, 5)).Select(_ => RandomJson(random, depth + 1)).ToArray()),
        _ => RandomObject(random, depth),
    };

    private static JsonObject RandomObject(Random random, int depth)
    {
        var obj = new JsonObject();
        for (var i = random.Next(0, 6); i > 0; i--)
        {
            obj[RandomString(random, random.Next(1, 12))] = RandomJson(random, depth + 1);
        }

        return obj;
    }

    private static string RandomString(Random random, int length)
    {
        const string alphabet = "abcXYZ09 -_./\\:;'\"<>{}[]%\u00e9\u4e2d\ud83d\ude00\u202e\u0001";
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            var c = alphabet[random.Next(alphabet.Length)];
            if (char.IsHighSurrogate(c))
            {
                text.Append(c).Append('\ude00');
            }
            else if (!char.IsLowSurrogate(c))
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    private static List<string> FieldNames(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))
            .ToList();
}

/// <summary>A digest of every row of every table of every SQLite file under a folder, read through read-only connections.</summary>
internal static class StateSnapshot
{
    /// <summary>Waits (at most 10 s) until two snapshots 150 ms apart are equal: no background write is under way.</summary>
    public static async Task WaitUntilQuietAsync(string directory)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var last = Take(directory);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(150, TestContext.Current.CancellationToken);
            var now = Take(directory);
            if (!Diff(last, now).Any())
            {
                return;
            }

            last = now;
        }
    }

    public static SortedDictionary<string, string> Take(string directory)
    {
        var digests = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(directory))
        {
            return digests;
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Where(IsDatabase))
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            var tables = new List<string>();
            using (var list = connection.CreateCommand())
            {
                list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
                using var reader = list.ExecuteReader();
                while (reader.Read())
                {
                    tables.Add(reader.GetString(0));
                }
            }

            foreach (var table in tables)
            {
                using var select = connection.CreateCommand();
                select.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
                using var reader = select.ExecuteReader();
                var row = 0;
                while (reader.Read())
                {
                    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    var values = new string[reader.FieldCount];
                    for (var c = 0; c < reader.FieldCount; c++)
                    {
                        values[c] = reader.IsDBNull(c) ? "∅" : reader.GetValue(c) is byte[] blob ? Convert.ToHexString(blob) : Convert.ToString(reader.GetValue(c), CultureInfo.InvariantCulture)!;
                        hash.AppendData(Encoding.UTF8.GetBytes(values[c] + "\u001f"));
                    }

                    // A row is known by its first column (the key of a key-value table), its digest says whether it changed.
                    var id = values.Length == 0 ? "" : values[0].Length > 80 ? values[0][..80] : values[0];
                    digests[$"{Path.GetRelativePath(directory, file)}:{table}[{id}#{row++}]"] = Convert.ToHexString(hash.GetHashAndReset())[..16] + " " + Cut(string.Join(" | ", values.Skip(1)));
                }
            }
        }

        return digests;
    }

    private static string Cut(string text) => text.Length > 200 ? text[..200] + "…" : text;

    public static IEnumerable<string> Diff(SortedDictionary<string, string> before, SortedDictionary<string, string> after) =>
        before.Keys.Union(after.Keys)
            .Where(k => !before.TryGetValue(k, out var b) || !after.TryGetValue(k, out var a) || a != b)
            .Select(k => $"{k}: {before.GetValueOrDefault(k, "absent")} → {after.GetValueOrDefault(k, "absent")}");

    private static bool IsDatabase(string path)
    {
        if (path.EndsWith("-wal", StringComparison.Ordinal) || path.EndsWith("-shm", StringComparison.Ordinal) || path.EndsWith("-journal", StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> header = stackalloc byte[16];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return stream.Read(header) == 16 && Encoding.ASCII.GetString(header) == "SQLite format 3\0";
    }

}

public sealed partial class HttpFuzzTests
{
    /// <summary>A key of the vault's audit trail in a state diff: the partitioned index (<c>vault:{agent}:audit:pNN</c>) or the legacy list.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@":state\[vault:[^:\]]+:audit(:p\d+)?#")]
    private static partial System.Text.RegularExpressions.Regex VaultAudit();
}
