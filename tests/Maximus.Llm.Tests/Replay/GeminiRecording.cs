using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Maximus.Llm.Gemini;
using Maximus.Llm.Tests.Support;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Tests.Replay;

/// <summary>
/// One recorded exchange of shared/fixtures/gemini/pairs (format in shared/fixtures/SOURCES.md): the request as it
/// went on the wire and the response (a body, or SSE chunks). Recordings are read as data only: what options produced
/// the request is decoded back from the request itself (<see cref="Decode"/>), so a new recording needs no code.
/// </summary>
internal sealed partial class GeminiRecording
{
    public const string TestToken = "test-token-not-a-secret";

    private GeminiRecording(string file, JsonObject pair, JsonObject exchange, int index)
    {
        File = file;
        Pair = pair;
        Exchange = exchange;
        Index = index;
    }

    public string File { get; }

    public JsonObject Pair { get; }

    public JsonObject Exchange { get; }

    public int Index { get; }

    public JsonObject? Request => Exchange["request"] as JsonObject;

    public JsonObject Response => Exchange["response"] as JsonObject ?? throw new InvalidDataException($"{File} exchange {Index} has no response.");

    public int Status => Response["status"]?.GetValue<int>() ?? 200;

    /// <summary>The folder of recordings: <c>MAXIMUS_GEMINI_FIXTURES</c>, else ../shared/fixtures/gemini/pairs beside the repository.</summary>
    public static string Folder
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("MAXIMUS_GEMINI_FIXTURES");
            var folder = string.IsNullOrWhiteSpace(configured) ? Path.Combine("..", "shared", "fixtures", "gemini", "pairs") : configured;
            return Path.GetFullPath(Path.IsPathRooted(folder) ? folder : Path.Combine(Repository.Root, folder));
        }
    }

    public static int ExchangeCount(string file)
    {
        var pair = JsonNode.Parse(System.IO.File.ReadAllText(file))?.AsObject() ?? throw new InvalidDataException($"{file} is not a JSON object.");
        return (pair["exchanges"] as JsonArray)?.Count ?? 0;
    }

    public static GeminiRecording Load(string file, int index)
    {
        var pair = JsonNode.Parse(System.IO.File.ReadAllText(file))?.AsObject() ?? throw new InvalidDataException($"{file} is not a JSON object.");
        var exchanges = pair["exchanges"] as JsonArray ?? throw new InvalidDataException($"{file} has no exchanges.");
        return new GeminiRecording(file, pair, exchanges[index]?.AsObject() ?? throw new InvalidDataException($"{file} exchange {index} is null."), index);
    }

    /// <summary>JSON pointers into the request body that the recording marks irrelevant (pair level and exchange level).</summary>
    public IEnumerable<string> Irrelevant =>
        new[] { Pair["irrelevant"], Request?["irrelevant"], Exchange["irrelevant"] }
            .OfType<JsonArray>()
            .SelectMany(a => a)
            .Select(x => x?.GetValue<string>())
            .OfType<string>();

    /// <summary>The SSE text the server sent: the raw <c>sse</c> when recorded, else the parsed chunks re-framed.</summary>
    public string ResponseText()
    {
        var response = Response;
        if (response["sse"] is JsonValue sse)
        {
            return sse.GetValue<string>();
        }

        if (response["chunks"] is JsonArray chunks)
        {
            return string.Concat(chunks.Select(c => $"data: {c!.ToJsonString()}\r\n\r\n"));
        }

        return response["body"]?.ToJsonString() ?? "";
    }

    public bool IsStream => Request?["url"]?.GetValue<string>() is { } url ? url.Contains(":streamGenerateContent", StringComparison.Ordinal) : Response["chunks"] is not null;

    /// <summary>The client options and the call (messages, options) that produce the recorded request.</summary>
    public (GeminiOptions Settings, List<ChatMessage> Messages, ChatOptions Options) Decode()
    {
        if (Request is not { } request)
        {
            // Response-only recordings: any request will do, the response is what is checked.
            return (new GeminiOptions { ApiKey = GeminiFakes.TestKey, Model = "gemini-2.5-flash", FastModel = null }, [new ChatMessage(ChatRole.User, "ping")], new ChatOptions());
        }

        var settings = SettingsFrom(request["url"]!.GetValue<string>());
        var body = request["body"] as JsonObject ?? [];
        var (messages, options) = DecodeBody(body, $"{System.IO.Path.GetFileName(File)} exchange {Index}: request.body");
        return (settings, messages, options);
    }

    private static GeminiOptions SettingsFrom(string url)
    {
        var vertex = VertexUrl().Match(url);
        if (vertex.Success)
        {
            return new GeminiOptions
            {
                Model = vertex.Groups["model"].Value,
                FastModel = null,
                Vertex = new GeminiVertexOptions
                {
                    Project = vertex.Groups["project"].Value,
                    Location = vertex.Groups["location"].Value,
                    ApiVersion = vertex.Groups["version"].Value,
                    AccessToken = TestToken,
                },
            };
        }

        var gemini = GeminiUrl().Match(url);
        if (!gemini.Success)
        {
            throw new InvalidDataException($"Not a generateContent URL of the Gemini API or Vertex AI: {url}");
        }

        return new GeminiOptions
        {
            ApiKey = GeminiFakes.TestKey,
            BaseUrl = gemini.Groups["base"].Value,
            ApiVersion = gemini.Groups["version"].Value,
            Model = gemini.Groups["model"].Value,
            FastModel = null,
        };
    }

    [GeneratedRegex(@"^(?<base>https?://[^/]+)/(?<version>[^/]+)/models/(?<model>[^:/]+):(generateContent|streamGenerateContent\?alt=sse)$")]
    private static partial Regex GeminiUrl();

    [GeneratedRegex(@"^https?://[^/]+/(?<version>[^/]+)/projects/(?<project>[^/]+)/locations/(?<location>[^/]+)/publishers/google/models/(?<model>[^:/]+):(generateContent|streamGenerateContent\?alt=sse)$")]
    private static partial Regex VertexUrl();

    private static (List<ChatMessage>, ChatOptions) DecodeBody(JsonObject body, string where)
    {
        var options = new ChatOptions { AdditionalProperties = [] };
        var messages = new List<ChatMessage>();
        var turns = new RecordedTurns();
        foreach (var (rawKey, value) in body)
        {
            switch (JsonSemantics.Camel(rawKey))
            {
                case "contents":
                    var contents = value as JsonArray ?? throw new InvalidDataException($"{where}.{rawKey} is {Describe(value)}, not an array of contents.");
                    for (var i = 0; i < contents.Count; i++)
                    {
                        var at = $"{where}.{rawKey}[{i}]";
                        messages.Add(DecodeContent(contents[i] as JsonObject ?? throw new InvalidDataException($"{at} is {Describe(contents[i])}, not a content object."), at, turns));
                    }

                    break;
                case "systemInstruction" when value!["parts"] is JsonArray parts && parts.All(p => p is JsonObject { Count: 1 } o && o["text"] is not null):
                    messages.Insert(0, new ChatMessage(ChatRole.System, [.. parts.Select(p => (AIContent)new TextContent(p!["text"]!.GetValue<string>()))]));
                    break;
                case "tools":
                    DecodeTools(value!.AsArray(), options);
                    break;
                case "generationConfig":
                    DecodeGenerationConfig(value!.AsObject(), options);
                    break;
                default:
                    options.AdditionalProperties[GeminiChatClient.RequestFieldPrefix + rawKey] = value?.DeepClone();
                    break;
            }
        }

        return (messages, options);
    }

    private static void DecodeTools(JsonArray tools, ChatOptions options)
    {
        var list = new List<AITool>();
        var raw = new JsonArray();
        foreach (var node in tools)
        {
            var tool = node!.AsObject();
            if (tool.Count == 1 && tool["functionDeclarations"] is JsonArray declarations)
            {
                foreach (var d in declarations)
                {
                    var declaration = d!.AsObject();
                    var schema = declaration["parametersJsonSchema"] ?? declaration["parameters_json_schema"] ?? LowerTypes(declaration["parameters"]) ?? new JsonObject();
                    var returns = declaration["responseJsonSchema"] ?? declaration["response_json_schema"] ?? LowerTypes(declaration["response"]);
                    list.Add(AIFunctionFactory.CreateDeclaration(
                        declaration["name"]!.GetValue<string>(),
                        declaration["description"]?.GetValue<string>(),
                        JsonSerializer.SerializeToElement(schema),
                        returns is null ? null : JsonSerializer.SerializeToElement(returns)));
                }
            }
            else if (tool.Count == 1 && tool["googleSearch"] is JsonObject { Count: 0 })
            {
                list.Add(new HostedWebSearchTool());
            }
            else if (tool.Count == 1 && tool["codeExecution"] is JsonObject { Count: 0 })
            {
                list.Add(new HostedCodeInterpreterTool());
            }
            else
            {
                raw.Add(tool.DeepClone());
            }
        }

        options.Tools = list.Count > 0 ? list : null;
        if (raw.Count > 0)
        {
            options.AdditionalProperties![GeminiChatClient.RequestFieldPrefix + "tools"] = raw;
        }
    }

    private static JsonNode? LowerTypes(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    copy[key] = key == "type" && value is JsonValue t && t.TryGetValue<string>(out var type) ? JsonValue.Create(type.ToLowerInvariant()) : LowerTypes(value);
                }

                return copy;
            case JsonArray array:
                return new JsonArray([.. array.Select(LowerTypes)]);
            default:
                return node.DeepClone();
        }
    }

    private static void DecodeGenerationConfig(JsonObject config, ChatOptions options)
    {
        var prefix = GeminiChatClient.RequestFieldPrefix + "generationConfig.";
        var camel = config.ToDictionary(p => JsonSemantics.Camel(p.Key), p => (p.Key, p.Value), StringComparer.Ordinal);
        foreach (var (key, (rawKey, value)) in camel)
        {
            switch (key)
            {
                case "temperature":
                    options.Temperature = value!.GetValue<float>();
                    break;
                case "topP":
                    options.TopP = value!.GetValue<float>();
                    break;
                case "topK":
                    options.TopK = value!.GetValue<int>();
                    break;
                case "maxOutputTokens":
                    options.MaxOutputTokens = value!.GetValue<int>();
                    break;
                case "seed":
                    options.Seed = value!.GetValue<long>();
                    break;
                case "presencePenalty":
                    options.PresencePenalty = value!.GetValue<float>();
                    break;
                case "frequencyPenalty":
                    options.FrequencyPenalty = value!.GetValue<float>();
                    break;
                case "stopSequences":
                    options.StopSequences = [.. value!.AsArray().Select(s => s!.GetValue<string>())];
                    break;
                case "responseMimeType" when value!.GetValue<string>() == "application/json" && !camel.ContainsKey("responseSchema"):
                    options.ResponseFormat = camel.TryGetValue("responseJsonSchema", out var schema)
                        ? ChatResponseFormat.ForJsonSchema(JsonSerializer.SerializeToElement(schema.Value))
                        : ChatResponseFormat.Json;
                    break;
                case "responseJsonSchema" when camel.TryGetValue("responseMimeType", out var mime) && mime.Value!.GetValue<string>() == "application/json" && !camel.ContainsKey("responseSchema"):
                    break;
                case "thinkingConfig":
                    var thinking = value!.AsObject().ToDictionary(p => JsonSemantics.Camel(p.Key), p => p.Value, StringComparer.Ordinal);
                    if (thinking.Remove("includeThoughts", out var include))
                    {
                        options.Reasoning = new ReasoningOptions { Output = include!.GetValue<bool>() ? ReasoningOutput.Summary : ReasoningOutput.None };
                    }

                    if (thinking.Count > 0)
                    {
                        options.AdditionalProperties![prefix + "thinkingConfig"] = new JsonObject(thinking.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
                    }

                    break;
                default:
                    options.AdditionalProperties![prefix + rawKey] = value?.DeepClone();
                    break;
            }
        }
    }
}
