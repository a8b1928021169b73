using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Llm.Gemini;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Tests.Replay;

/// <summary>
/// The contents of a recorded request, decoded back into Microsoft.Extensions.AI contents: every part kind of the
/// <c>generateContent</c> REST shape, with camelCase or snake_case field names. This decoder is strict and independent
/// of the client: a part of another kind, an unknown field or a missing required field is an
/// <see cref="InvalidDataException"/> naming where it is and the keys it has, so a new kind of recording says what to add.
/// </summary>
internal sealed partial class GeminiRecording
{
    internal static readonly string[] PartKinds = ["text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode", "codeExecutionResult"];

    private static ChatMessage DecodeContent(JsonObject content, string where, RecordedTurns turns)
    {
        CheckKeys(content, where, "role", "parts");
        var parts = Field(content, "parts") switch
        {
            null => [],
            JsonArray array => array,
            var other => throw new InvalidDataException($"{where}.parts is {Describe(other)}, not an array of parts."),
        };
        var contents = new List<AIContent>();
        for (var i = 0; i < parts.Count; i++)
        {
            var at = $"{where}.parts[{i}]";
            contents.Add(DecodePart(parts[i] as JsonObject ?? throw new InvalidDataException($"{at} is {Describe(parts[i])}, not a part object."), at, turns));
        }

        var role = OptionalString(content, "role", where) == "model" ? ChatRole.Assistant
            : contents.Count > 0 && contents.All(c => c is FunctionResultContent) ? ChatRole.Tool
            : ChatRole.User;
        return new ChatMessage(role, contents);
    }

    private static AIContent DecodePart(JsonObject part, string where, RecordedTurns turns)
    {
        var kinds = part.Select(p => JsonSemantics.Camel(p.Key)).Where(k => k is not ("thought" or "thoughtSignature")).ToList();
        var thought = Field(part, "thought") switch
        {
            null => (bool?)null,
            JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
            var other => throw new InvalidDataException($"{where}.thought is {Describe(other)}, not a boolean."),
        };
        if (kinds.Count != 1 || !PartKinds.Contains(kinds[0], StringComparer.Ordinal) || (thought is not null && kinds[0] != "text"))
        {
            throw new InvalidDataException(
                $"{where} has the keys [{Keys(part)}], which is no Gemini part this decoder knows: a part holds exactly one of "
                + $"{string.Join(", ", PartKinds)}, with an optional thoughtSignature (and thought, on text).");
        }

        var kind = kinds[0];
        var at = $"{where}.{kind}";
        AIContent item = kind switch
        {
            "text" when thought == true => new TextReasoningContent(RequiredString(part, "text", where)),
            "text" => new TextContent(RequiredString(part, "text", where)),
            "inlineData" => InlineData(RequiredObject(part, kind, where), at, named: false),
            "fileData" => FileData(RequiredObject(part, kind, where), at, named: false),
            "functionCall" => FunctionCall(RequiredObject(part, kind, where), at, turns),
            "functionResponse" => FunctionResponse(RequiredObject(part, kind, where), at, turns),
            "executableCode" => ExecutableCode(RequiredObject(part, kind, where), at, turns),
            _ => CodeExecutionResult(RequiredObject(part, kind, where), at, turns),
        };
        if (OptionalString(part, "thoughtSignature", where) is { } signature)
        {
            (item.AdditionalProperties ??= [])[GeminiChatClient.ThoughtSignatureKey] = signature;
        }

        return item;
    }

    private static FunctionCallContent FunctionCall(JsonObject call, string where, RecordedTurns turns)
    {
        CheckKeys(call, where, "name", "args", "id");
        var id = OptionalString(call, "id", where);
        var args = Field(call, "args") switch
        {
            null => [],
            JsonObject o => o,
            var other => throw new InvalidDataException($"{where}.args is {Describe(other)}, not an object."),
        };
        var arguments = args.ToDictionary(a => a.Key, a => (object?)JsonSerializer.SerializeToElement(a.Value), StringComparer.Ordinal);
        var function = new FunctionCallContent(id ?? $"replay-{turns.Calls.Count}", RequiredString(call, "name", where), arguments);
        if (id is null)
        {
            (function.AdditionalProperties ??= [])[GeminiChatClient.GeneratedCallIdKey] = true;
        }

        turns.Calls.Add(function);
        return function;
    }

    /// <summary>
    /// A function's answer. Without <c>parts</c> the result is the <c>response</c> object; with them it is a list of
    /// contents (the media parts, after a text for a <c>{"output": "…"}</c> response) or, for any other response
    /// object, a list of that object followed by the media parts.
    /// </summary>
    private static FunctionResultContent FunctionResponse(JsonObject response, string where, RecordedTurns turns)
    {
        CheckKeys(response, where, "name", "id", "response", "parts");
        var id = OptionalString(response, "id", where);
        var name = RequiredString(response, "name", where);
        var body = Field(response, "response") switch
        {
            null => null,
            JsonObject o => o,
            var other => throw new InvalidDataException($"{where}.response is {Describe(other)}, not an object."),
        };
        var media = Field(response, "parts") switch
        {
            null => [],
            JsonArray array => array.Select((p, i) => ResponsePart(p, $"{where}.parts[{i}]")).ToList(),
            var other => throw new InvalidDataException($"{where}.parts is {Describe(other)}, not an array of parts."),
        };

        object? result;
        if (media.Count == 0)
        {
            result = JsonSerializer.SerializeToElement(body);
        }
        else if (body is null or { Count: 0 })
        {
            result = media;
        }
        else if (body is { Count: 1 } && Field(body, "output") is JsonValue output && output.TryGetValue<string>(out var text))
        {
            result = (List<AIContent>)[new TextContent(text), .. media];
        }
        else
        {
            result = (List<object?>)[JsonSerializer.SerializeToElement(body), .. media];
        }

        var matching = id is null ? turns.Calls.LastOrDefault(c => c.Name == name) : null;
        var content = new FunctionResultContent(id ?? matching?.CallId ?? $"replay-result-{name}", result);
        if (id is null && matching is null)
        {
            content.AdditionalProperties = new() { ["name"] = name, [GeminiChatClient.GeneratedCallIdKey] = true };
        }

        return content;
    }

    /// <summary>A part inside <c>functionResponse.parts</c>: inlineData or fileData, each with an optional displayName.</summary>
    private static AIContent ResponsePart(JsonNode? node, string where)
    {
        var part = node as JsonObject ?? throw new InvalidDataException($"{where} is {Describe(node)}, not a part object.");
        var kinds = part.Select(p => JsonSemantics.Camel(p.Key)).ToList();
        return kinds switch
        {
            ["inlineData"] => InlineData(RequiredObject(part, "inlineData", where), $"{where}.inlineData", named: true),
            ["fileData"] => FileData(RequiredObject(part, "fileData", where), $"{where}.fileData", named: true),
            _ => throw new InvalidDataException($"{where} has the keys [{Keys(part)}], which is no part of a function response: it holds exactly one of inlineData, fileData."),
        };
    }

    private static DataContent InlineData(JsonObject blob, string where, bool named)
    {
        CheckKeys(blob, where, named ? ["mimeType", "data", "displayName"] : ["mimeType", "data"]);
        var text = RequiredString(blob, "data", where).Replace('-', '+').Replace('_', '/');
        var bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text.PadRight((text.Length + 3) / 4 * 4, '='), bytes, out var written))
        {
            throw new InvalidDataException($"{where}.data is not base64.");
        }

        return new DataContent(bytes.AsMemory(0, written), RequiredString(blob, "mimeType", where)) { Name = OptionalString(blob, "displayName", where) };
    }

    private static UriContent FileData(JsonObject file, string where, bool named)
    {
        CheckKeys(file, where, named ? ["mimeType", "fileUri", "displayName"] : ["mimeType", "fileUri"]);
        var uri = RequiredString(file, "fileUri", where);
        var content = new UriContent(
            Uri.TryCreate(uri, UriKind.Absolute, out var absolute) ? absolute : throw new InvalidDataException($"{where}.fileUri '{uri}' is not an absolute URI."),
            RequiredString(file, "mimeType", where));
        if (OptionalString(file, "displayName", where) is { } name)
        {
            content.AdditionalProperties = new() { [GeminiChatClient.DisplayNameKey] = name };
        }

        return content;
    }

    private static CodeInterpreterToolCallContent ExecutableCode(JsonObject executable, string where, RecordedTurns turns)
    {
        CheckKeys(executable, where, "language", "code", "id");
        var id = OptionalString(executable, "id", where);
        var language = RequiredString(executable, "language", where);
        var code = new CodeInterpreterToolCallContent(id ?? $"replay-code-{turns.Code++}")
        {
            Inputs = [new DataContent(Encoding.UTF8.GetBytes(RequiredString(executable, "code", where)), language == "PYTHON" ? "text/x-python" : "text/plain")],
            AdditionalProperties = new() { [GeminiChatClient.CodeLanguageKey] = language },
        };
        if (id is null)
        {
            code.AdditionalProperties[GeminiChatClient.GeneratedCallIdKey] = true;
        }

        turns.LastCode = code;
        return code;
    }

    private static CodeInterpreterToolResultContent CodeExecutionResult(JsonObject executed, string where, RecordedTurns turns)
    {
        CheckKeys(executed, where, "outcome", "output", "id");
        var id = OptionalString(executed, "id", where);
        var outcome = RequiredString(executed, "outcome", where);
        var output = OptionalString(executed, "output", where);
        var result = new CodeInterpreterToolResultContent(id ?? turns.LastCode?.CallId ?? $"replay-code-{turns.Code++}")
        {
            Outputs = output is null ? null : [outcome == "OUTCOME_OK" ? new TextContent(output) : new ErrorContent(output) { ErrorCode = outcome }],
            AdditionalProperties = new() { [GeminiChatClient.CodeOutcomeKey] = outcome },
        };
        if (id is null)
        {
            result.AdditionalProperties[GeminiChatClient.GeneratedCallIdKey] = true;
        }

        return result;
    }

    /// <summary>A field by its camelCase name, also when the recording spells it in snake_case.</summary>
    private static JsonNode? Field(JsonObject obj, string name) =>
        obj.FirstOrDefault(p => JsonSemantics.Camel(p.Key) == name).Value;

    private static string RequiredString(JsonObject obj, string name, string where) =>
        OptionalString(obj, name, where) ?? throw new InvalidDataException($"{where} has the keys [{Keys(obj)}] but no '{name}', which it needs.");

    private static string? OptionalString(JsonObject obj, string name, string where) => Field(obj, name) switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        var other => throw new InvalidDataException($"{where}.{name} is {Describe(other)}, not a string."),
    };

    private static JsonObject RequiredObject(JsonObject obj, string name, string where) => Field(obj, name) switch
    {
        JsonObject o => o,
        var other => throw new InvalidDataException($"{where}.{name} is {Describe(other)}, not an object."),
    };

    private static void CheckKeys(JsonObject obj, string where, params string[] known)
    {
        if (obj.Any(p => !known.Contains(JsonSemantics.Camel(p.Key), StringComparer.Ordinal)))
        {
            throw new InvalidDataException($"{where} has the keys [{Keys(obj)}]; the decoder knows only {string.Join(", ", known)}.");
        }
    }

    private static string Keys(JsonObject obj) => string.Join(", ", obj.Select(p => p.Key));

    private static string Describe(JsonNode? node) => node switch
    {
        null => "absent or null",
        _ => $"the {node.GetValueKind().ToString().ToLowerInvariant()} {(node.ToJsonString() is { Length: > 80 } s ? s[..80] + "…" : node.ToJsonString())}",
    };

    /// <summary>What earlier parts of the conversation said, for results that name their call only implicitly.</summary>
    private sealed class RecordedTurns
    {
        public List<FunctionCallContent> Calls { get; } = [];

        public CodeInterpreterToolCallContent? LastCode { get; set; }

        public int Code { get; set; }
    }
}
