using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Gemini;

/// <summary>
/// Turns Microsoft.Extensions.AI messages and options into a <c>generateContent</c> request body.
/// <list type="bullet">
/// <item>System messages and <see cref="ChatOptions.Instructions"/> become <c>systemInstruction</c>; assistant
/// messages have role <c>model</c>, user and tool messages role <c>user</c>.</item>
/// <item><see cref="TextReasoningContent"/> is a <c>thought: true</c> part; a content's thought signature
/// (<see cref="GeminiChatClient.ThoughtSignatureKey"/> in its additional properties) goes back as
/// <c>thoughtSignature</c>, in standard base64.</item>
/// <item>Function results find their function's name from the call with the same id earlier in the conversation; a
/// result that is (or lists) contents becomes a multimodal <c>functionResponse</c> with <c>parts</c>.</item>
/// <item><see cref="DataContent"/> is an <c>inlineData</c> part, <see cref="UriContent"/> a <c>fileData</c> part,
/// <see cref="CodeInterpreterToolCallContent"/> an <c>executableCode</c> part and
/// <see cref="CodeInterpreterToolResultContent"/> a <c>codeExecutionResult</c> part.</item>
/// <item>Options whose key starts with <see cref="GeminiChatClient.RequestFieldPrefix"/> are merged into the body at
/// the dotted path after it (objects merge, arrays append, values replace): e.g. <c>gemini:safetySettings</c>,
/// <c>gemini:generationConfig.responseModalities</c>.</item>
/// </list>
/// </summary>
internal static class GeminiRequestBuilder
{
    /// <summary>Gemini 3 rejects a function call in the current turn without its signature; this documented value skips the check.</summary>
    internal const string SkipSignatureValidator = "skip_thought_signature_validator";

    public static JsonObject Build(IEnumerable<ChatMessage> messages, ChatOptions? options, string model, GeminiOptions settings)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var conversation = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var body = new JsonObject();
        var system = new JsonArray();
        if (!string.IsNullOrWhiteSpace(options?.Instructions))
        {
            system.Add(new JsonObject { ["text"] = options.Instructions });
        }

        var isGemini3 = GeminiThinking.NormalizeModel(model).StartsWith("gemini-3", StringComparison.Ordinal);
        var calls = new Dictionary<string, FunctionCallContent>(StringComparer.Ordinal);
        var contents = new JsonArray();
        foreach (var message in conversation)
        {
            if (message.Role == ChatRole.System)
            {
                foreach (var text in message.Contents.OfType<TextContent>().Where(t => !string.IsNullOrEmpty(t.Text)))
                {
                    system.Add(new JsonObject { ["text"] = text.Text });
                }

                continue;
            }

            var parts = new JsonArray();
            foreach (var content in message.Contents)
            {
                if (Part(content, message.Role, calls, isGemini3) is { } part)
                {
                    parts.Add(part);
                }
            }

            if (parts.Count > 0)
            {
                contents.Add(new JsonObject { ["parts"] = parts, ["role"] = message.Role == ChatRole.Assistant ? "model" : "user" });
            }
        }

        body["contents"] = contents;
        if (system.Count > 0)
        {
            body["systemInstruction"] = new JsonObject { ["parts"] = system, ["role"] = "user" };
        }

        if (Tools(options) is { Count: > 0 } tools)
        {
            body["tools"] = tools;
        }

        if (ToolConfig(options) is { } toolConfig)
        {
            body["toolConfig"] = toolConfig;
        }

        if (GenerationConfig(conversation, options, model, settings) is { Count: > 0 } generation)
        {
            body["generationConfig"] = generation;
        }

        MergePassThrough(body, options);
        return body;
    }

    private static JsonObject? Part(AIContent content, ChatRole role, Dictionary<string, FunctionCallContent> calls, bool isGemini3)
    {
        JsonObject part;
        switch (content)
        {
            case TextReasoningContent reasoning:
                part = new JsonObject { ["text"] = reasoning.Text ?? "", ["thought"] = true };
                AddSignature(part, Signature(content));
                return string.IsNullOrEmpty(reasoning.Text) && !part.ContainsKey("thoughtSignature") ? null : part;
            case TextContent text:
                part = new JsonObject { ["text"] = text.Text ?? "" };
                AddSignature(part, Signature(content));
                return string.IsNullOrEmpty(text.Text) && !part.ContainsKey("thoughtSignature") ? null : part;
            case FunctionCallContent call:
                calls[call.CallId] = call;
                var functionCall = new JsonObject { ["name"] = call.Name, ["args"] = Arguments(call.Arguments) };
                if (!IsGeneratedId(call) && !string.IsNullOrEmpty(call.CallId))
                {
                    functionCall["id"] = call.CallId;
                }

                part = new JsonObject { ["functionCall"] = functionCall };
                AddSignature(part, Signature(content) ?? (isGemini3 && role == ChatRole.Assistant ? SkipSignatureValidator : null));
                return part;
            case FunctionResultContent result:
                part = new JsonObject { ["functionResponse"] = FunctionResponse(result, calls) };
                break;
            case DataContent data:
                part = new JsonObject { ["inlineData"] = InlineData(data, named: false) };
                break;
            case UriContent uri:
                part = new JsonObject { ["fileData"] = FileData(uri, named: false) };
                break;
            case CodeInterpreterToolCallContent code:
                part = new JsonObject { ["executableCode"] = ExecutableCode(code) };
                break;
            case CodeInterpreterToolResultContent outcome:
                part = new JsonObject { ["codeExecutionResult"] = CodeExecutionResult(outcome) };
                break;
            case GeminiThoughtSignatureContent carried:
                return new JsonObject { ["text"] = "", ["thoughtSignature"] = StandardBase64(carried.Signature) };
            case UsageContent or ErrorContent:
                return null;
            default:
                // A part this builder has no type for travels as its raw JSON.
                return content.RawRepresentation switch
                {
                    JsonObject raw => (JsonObject)raw.DeepClone(),
                    JsonElement { ValueKind: JsonValueKind.Object } element => JsonNode.Parse(element.GetRawText()) as JsonObject,
                    _ => null,
                };
        }

        AddSignature(part, Signature(content));
        return part;
    }

    /// <summary>
    /// A function's answer. A result that is (or lists) contents is multimodal: <see cref="DataContent"/> and
    /// <see cref="UriContent"/> items become the response's <c>parts</c> (inlineData, fileData, with their display
    /// names), text items its <c>output</c>, error items its <c>error</c>, and JSON objects in the list its fields.
    /// Any other result is the <c>response</c> object itself, or <c>{"output": result}</c>.
    /// </summary>
    private static JsonObject FunctionResponse(FunctionResultContent result, Dictionary<string, FunctionCallContent> calls)
    {
        var name = calls.TryGetValue(result.CallId, out var matching)
            ? matching.Name
            : result.AdditionalProperties?.TryGetValue("name", out var n) == true && n is string s ? s
            : throw new ArgumentException($"The function result '{result.CallId}' has no function call with that id earlier in the conversation, and no 'name' property.", nameof(result));
        var (response, parts) = ResponseAndParts(result);
        var functionResponse = new JsonObject { ["name"] = name, ["response"] = response };
        if (parts.Count > 0)
        {
            functionResponse["parts"] = parts;
        }

        if (!string.IsNullOrEmpty(result.CallId) && !IsGeneratedId(matching ?? (AIContent)result))
        {
            functionResponse["id"] = result.CallId;
        }

        return functionResponse;
    }

    private static (JsonObject Response, JsonArray Parts) ResponseAndParts(FunctionResultContent result)
    {
        if (result.Exception is { } exception)
        {
            return (new JsonObject { ["error"] = exception.Message }, []);
        }

        if (ContentItems(result.Result) is not { } items)
        {
            var node = result.Result is string text ? JsonValue.Create(text) : ToNode(result.Result);
            return (node is JsonObject obj ? obj : new JsonObject { ["output"] = node }, []);
        }

        var response = new JsonObject();
        var parts = new JsonArray();
        var texts = new List<string>();
        foreach (var item in items)
        {
            switch (item)
            {
                case DataContent data:
                    parts.Add(new JsonObject { ["inlineData"] = InlineData(data, named: true) });
                    break;
                case UriContent uri:
                    parts.Add(new JsonObject { ["fileData"] = FileData(uri, named: true) });
                    break;
                case TextContent text:
                    texts.Add(text.Text ?? "");
                    break;
                case ErrorContent error:
                    response["error"] = error.Message;
                    break;
                case AIContent other:
                    throw new NotSupportedException($"The function result '{result.CallId}' holds a {other.GetType().Name}; a Gemini function response carries text, errors, JSON objects, DataContent (inlineData) and UriContent (fileData).");
                default:
                    if (ToNode(item) is not JsonObject fields)
                    {
                        throw new NotSupportedException($"The function result '{result.CallId}' lists contents and a {item?.GetType().Name ?? "null"} that is not a JSON object; only objects can become the fields of a Gemini function response.");
                    }

                    foreach (var (key, value) in fields.ToList())
                    {
                        response[key] = value?.DeepClone();
                    }

                    break;
            }
        }

        if (texts.Count > 0)
        {
            if (response.ContainsKey("output"))
            {
                throw new NotSupportedException($"The function result '{result.CallId}' has both text and an 'output' field; Gemini's response has one 'output'.");
            }

            response["output"] = string.Join('\n', texts);
        }

        return (response, parts);
    }

    /// <summary>The items of a result that is a content or a list holding at least one content; else null.</summary>
    private static List<object?>? ContentItems(object? result) => result switch
    {
        AIContent content => [content],
        string or JsonNode or JsonElement => null,
        System.Collections.IEnumerable items when items.Cast<object?>().ToList() is var list && list.Exists(i => i is AIContent) => list,
        _ => null,
    };

    /// <summary>A <c>Blob</c>; inside a function response (<paramref name="named"/>) it carries the data's name as <c>displayName</c>.</summary>
    private static JsonObject InlineData(DataContent data, bool named)
    {
        var blob = new JsonObject { ["mimeType"] = data.MediaType, ["data"] = Convert.ToBase64String(data.Data.Span) };
        if (named && !string.IsNullOrEmpty(data.Name))
        {
            blob["displayName"] = data.Name;
        }

        return blob;
    }

    private static JsonObject FileData(UriContent uri, bool named)
    {
        var file = new JsonObject { ["mimeType"] = uri.MediaType, ["fileUri"] = uri.Uri.ToString() };
        if (named && Property(uri, GeminiChatClient.DisplayNameKey) is { Length: > 0 } name)
        {
            file["displayName"] = name;
        }

        return file;
    }

    /// <summary>The code is the text of the call's inputs (text contents, or text/* data such as <c>text/x-python</c>).</summary>
    private static JsonObject ExecutableCode(CodeInterpreterToolCallContent call)
    {
        var code = string.Concat((call.Inputs ?? []).Select(input => input switch
        {
            TextContent text => text.Text,
            DataContent data when data.HasTopLevelMediaType("text") => System.Text.Encoding.UTF8.GetString(data.Data.Span),
            _ => throw new NotSupportedException($"The code interpreter call '{call.CallId}' has a {input.GetType().Name} input; Gemini's executableCode carries code as text."),
        }));
        var executable = new JsonObject { ["language"] = Property(call, GeminiChatClient.CodeLanguageKey) ?? "PYTHON", ["code"] = code };
        if (!string.IsNullOrEmpty(call.CallId) && !IsGeneratedId(call))
        {
            executable["id"] = call.CallId;
        }

        return executable;
    }

    /// <summary>Text outputs are stdout; an <see cref="ErrorContent"/> output is stderr, its error code the outcome.</summary>
    private static JsonObject CodeExecutionResult(CodeInterpreterToolResultContent result)
    {
        var outputs = result.Outputs ?? [];
        var error = outputs.OfType<ErrorContent>().FirstOrDefault();
        var outcome = Property(result, GeminiChatClient.CodeOutcomeKey) ?? (error is null ? "OUTCOME_OK" : error.ErrorCode ?? "OUTCOME_FAILED");
        var json = new JsonObject { ["outcome"] = outcome };
        if (outputs.Count > 0)
        {
            json["output"] = string.Concat(outputs.Select(output => output switch
            {
                TextContent text => text.Text,
                ErrorContent failure => failure.Message,
                _ => throw new NotSupportedException($"The code interpreter result '{result.CallId}' has a {output.GetType().Name} output; Gemini's codeExecutionResult carries text."),
            }));
        }

        if (!string.IsNullOrEmpty(result.CallId) && !IsGeneratedId(result))
        {
            json["id"] = result.CallId;
        }

        return json;
    }

    private static string? Property(AIContent content, string key) =>
        content.AdditionalProperties?.TryGetValue(key, out var value) == true ? value as string : null;

    private static bool IsGeneratedId(AIContent call) =>
        call.AdditionalProperties?.TryGetValue(GeminiChatClient.GeneratedCallIdKey, out var generated) == true && generated is true;

    private static string? Signature(AIContent content) => Property(content, GeminiChatClient.ThoughtSignatureKey);

    private static void AddSignature(JsonObject part, string? signature)
    {
        if (!string.IsNullOrEmpty(signature))
        {
            part["thoughtSignature"] = StandardBase64(signature);
        }
    }

    /// <summary>Signatures are bytes: the API sends standard base64, some SDKs send them back url-safe. Both decode alike.</summary>
    internal static string StandardBase64(string signature) =>
        signature.Contains('-', StringComparison.Ordinal) || signature.Contains('_', StringComparison.Ordinal)
            ? signature.Replace('-', '+').Replace('_', '/')
            : signature;

    private static JsonObject Arguments(IDictionary<string, object?>? arguments)
    {
        var args = new JsonObject();
        foreach (var (key, value) in arguments ?? new Dictionary<string, object?>())
        {
            args[key] = ToNode(value);
        }

        return args;
    }

    internal static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        JsonElement element => JsonNode.Parse(element.GetRawText()),
        _ => JsonSerializer.SerializeToNode(value, value.GetType(), AIJsonUtilities.DefaultOptions),
    };

    private static JsonArray? Tools(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools)
        {
            return null;
        }

        var result = new JsonArray();
        var declarations = new JsonArray();
        foreach (var tool in tools)
        {
            switch (tool)
            {
                case AIFunctionDeclaration function:
                    var declaration = new JsonObject { ["name"] = function.Name };
                    if (!string.IsNullOrEmpty(function.Description))
                    {
                        declaration["description"] = function.Description;
                    }

                    declaration["parametersJsonSchema"] = JsonNode.Parse(function.JsonSchema.GetRawText());
                    if (function.ReturnJsonSchema is { } returns)
                    {
                        declaration["responseJsonSchema"] = JsonNode.Parse(returns.GetRawText());
                    }

                    declarations.Add(declaration);
                    break;
                case HostedWebSearchTool:
                    result.Add(new JsonObject { ["googleSearch"] = new JsonObject() });
                    break;
                case HostedCodeInterpreterTool:
                    result.Add(new JsonObject { ["codeExecution"] = new JsonObject() });
                    break;
                default:
                    throw new NotSupportedException($"The Gemini client cannot send the tool '{tool.Name}' ({tool.GetType().Name}).");
            }
        }

        if (declarations.Count > 0)
        {
            result.Insert(0, new JsonObject { ["functionDeclarations"] = declarations });
        }

        return result;
    }

    private static JsonObject? ToolConfig(ChatOptions? options) => options?.ToolMode switch
    {
        NoneChatToolMode => new JsonObject { ["functionCallingConfig"] = new JsonObject { ["mode"] = "NONE" } },
        RequiredChatToolMode required => new JsonObject
        {
            ["functionCallingConfig"] = required.RequiredFunctionName is { } name
                ? new JsonObject { ["mode"] = "ANY", ["allowedFunctionNames"] = new JsonArray(name) }
                : new JsonObject { ["mode"] = "ANY" },
        },
        _ => null,
    };

    private static JsonObject GenerationConfig(IReadOnlyList<ChatMessage> messages, ChatOptions? options, string model, GeminiOptions settings)
    {
        var config = new JsonObject();
        if (options is not null)
        {
            Set(config, "temperature", options.Temperature);
            Set(config, "topP", options.TopP);
            Set(config, "topK", options.TopK);
            Set(config, "maxOutputTokens", options.MaxOutputTokens);
            Set(config, "seed", options.Seed);
            Set(config, "presencePenalty", options.PresencePenalty);
            Set(config, "frequencyPenalty", options.FrequencyPenalty);
            if (options.StopSequences is { Count: > 0 } stops)
            {
                config["stopSequences"] = new JsonArray([.. stops.Select(s => (JsonNode?)JsonValue.Create(s))]);
            }

            if (options.ResponseFormat is ChatResponseFormatJson json)
            {
                config["responseMimeType"] = "application/json";
                if (json.Schema is { } schema)
                {
                    config["responseJsonSchema"] = JsonNode.Parse(schema.GetRawText());
                }
            }
        }

        var thinking = new JsonObject();
        if (options.GetThinkingMode() is { } mode)
        {
            var concrete = mode == ThinkingMode.Adaptive
                ? new AdaptiveModeSelector().Choose((options.GetTaskProfile() ?? new TaskProfile()).CompleteFrom(messages, options)).Mode
                : mode;
            if (GeminiThinking.For(model, concrete, settings.Thinking) is { } setting)
            {
                foreach (var (key, value) in setting.ToJson())
                {
                    thinking[key] = value?.DeepClone();
                }
            }
        }

        switch (options?.Reasoning?.Output)
        {
            case ReasoningOutput.None:
                thinking["includeThoughts"] = false;
                break;
            case ReasoningOutput.Summary or ReasoningOutput.Full:
                thinking["includeThoughts"] = true;
                break;
            default:
                if (settings.IncludeThoughts)
                {
                    thinking["includeThoughts"] = true;
                }

                break;
        }

        if (thinking.Count > 0)
        {
            config["thinkingConfig"] = thinking;
        }

        return config;
    }

    private static void Set<T>(JsonObject config, string name, T? value)
        where T : struct
    {
        if (value is { } v)
        {
            config[name] = JsonValue.Create(v);
        }
    }

    private static void MergePassThrough(JsonObject body, ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { Count: > 0 } properties)
        {
            return;
        }

        foreach (var (key, value) in properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!key.StartsWith(GeminiChatClient.RequestFieldPrefix, StringComparison.Ordinal) || key.Length == GeminiChatClient.RequestFieldPrefix.Length)
            {
                continue;
            }

            var path = key[GeminiChatClient.RequestFieldPrefix.Length..].Split('.', StringSplitOptions.RemoveEmptyEntries);
            var target = body;
            foreach (var segment in path[..^1])
            {
                if (target[segment] is not JsonObject next)
                {
                    next = new JsonObject();
                    target[segment] = next;
                }

                target = next;
            }

            Merge(target, path[^1], ToNode(value));
        }
    }

    private static void Merge(JsonObject target, string name, JsonNode? value)
    {
        switch (target[name], value)
        {
            case (JsonObject existing, JsonObject incoming):
                foreach (var (key, child) in incoming.ToList())
                {
                    Merge(existing, key, child?.DeepClone());
                }

                break;
            case (JsonArray existing, JsonArray incoming):
                foreach (var item in incoming)
                {
                    existing.Add(item?.DeepClone());
                }

                break;
            default:
                target[name] = value?.DeepClone();
                break;
        }
    }
}
