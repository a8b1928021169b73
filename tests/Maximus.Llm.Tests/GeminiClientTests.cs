using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Llm.Gemini;
using Maximus.Contracts.Ports;
using Maximus.Llm.Tests.Replay;
using Maximus.Llm.Tests.Support;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Tests;

public sealed class GeminiClientTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private const string Signature = "EpwICpkIAXLI2nxl+PIyTTqF/ZIQ=";

    [Fact]
    public async Task A_streamed_function_calls_signature_goes_back_with_the_result_in_the_next_turn()
    {
        using var handler = new FakeHttpHandler()
            .Answer(HttpStatusCode.OK, $$$"""data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_country","args":{}},"thoughtSignature":"{{{Signature}}}"}],"role":"model"},"index":0}],"responseId":"a"}""" + "\r\n\r\n"
                + """data: {"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":29,"candidatesTokenCount":10,"thoughtsTokenCount":202,"totalTokenCount":241},"responseId":"a"}""" + "\r\n\r\n", "text/event-stream")
            .Answer(HttpStatusCode.OK, GeminiFakes.TextAnswer("The capital of Mexico is Mexico City.", "gemini-3-pro-preview"));
        using var client = GeminiFakes.Client(handler, GeminiFakes.Options("gemini-3-pro-preview"));
        var tool = AIFunctionFactory.CreateDeclaration("get_country", "The user's country.", JsonSerializer.SerializeToElement(new { type = "object", properties = new { } }));
        var options = new ChatOptions { Tools = [tool] };
        List<ChatMessage> history = [new(ChatRole.User, "What is the capital of the user's country? Call the tool.")];

        var first = await client.GetStreamingResponseAsync(history, options, Ct).ToChatResponseAsync(Ct);
        var call = Assert.Single(first.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, "Mexico")]));
        await client.GetResponseAsync(history, options, Ct);

        var contents = JsonNode.Parse(handler.Sent[1].Body)!["contents"]!.AsArray();
        var model = contents[1]!;
        Assert.Equal("model", model["role"]!.GetValue<string>());
        Assert.Equal(Signature, model["parts"]![0]!["thoughtSignature"]!.GetValue<string>());
        Assert.Equal("get_country", model["parts"]![0]!["functionCall"]!["name"]!.GetValue<string>());
        Assert.Null(model["parts"]![0]!["functionCall"]!["id"]);
        var result = contents[2]!["parts"]![0]!["functionResponse"]!;
        Assert.Equal("user", contents[2]!["role"]!.GetValue<string>());
        Assert.Equal("get_country", result["name"]!.GetValue<string>());
        Assert.Equal("Mexico", result["response"]!["output"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_signature_streamed_on_a_text_part_survives_aggregation_and_is_sent_back()
    {
        using var handler = new FakeHttpHandler()
            .Answer(HttpStatusCode.OK,
                """data: {"candidates":[{"content":{"parts":[{"text":"Think","thought":true}],"role":"model"}}],"responseId":"t"}""" + "\r\n\r\n"
                + """data: {"candidates":[{"content":{"parts":[{"text":"Hello "}],"role":"model"}}],"responseId":"t"}""" + "\r\n\r\n"
                + $$$"""data: {"candidates":[{"content":{"parts":[{"text":"world","thoughtSignature":"{{{Signature}}}"}],"role":"model"},"finishReason":"STOP"}],"responseId":"t"}""" + "\r\n\r\n",
                "text/event-stream")
            .Answer(HttpStatusCode.OK, GeminiFakes.TextAnswer("again", "gemini-3-pro-preview"));
        using var client = GeminiFakes.Client(handler, GeminiFakes.Options("gemini-3-pro-preview"));
        var options = new ChatOptions { Reasoning = new ReasoningOptions { Output = ReasoningOutput.Summary } };
        List<ChatMessage> history = [new(ChatRole.User, "Say hello.")];

        var first = await client.GetStreamingResponseAsync(history, options, Ct).ToChatResponseAsync(Ct);
        Assert.Equal("Hello world", first.Text);
        Assert.Equal("Think", string.Concat(first.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text)));
        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.User, "Again."));
        await client.GetResponseAsync(history, options, Ct);

        var sent = JsonNode.Parse(handler.Sent[1].Body)!;
        var parts = sent["contents"]![1]!["parts"]!.AsArray();
        Assert.Contains(parts, p => p!["thought"]?.GetValue<bool>() == true && p["text"]!.GetValue<string>() == "Think");
        Assert.Contains(parts, p => p!["thoughtSignature"]?.GetValue<string>() == Signature);
        Assert.True(sent["generationConfig"]!["thinkingConfig"]!["includeThoughts"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Structured_output_sends_the_json_schema_and_a_system_instruction()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("""{"city":"Mexico City"}"""));
        using var client = GeminiFakes.Client(handler);
        var schema = JsonSerializer.SerializeToElement(new { type = "object", properties = new { city = new { type = "string" } }, required = new[] { "city" } });
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "City"), Instructions = "Answer in JSON.", Temperature = 0.2f, MaxOutputTokens = 100 };

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "You are a geographer."), new ChatMessage(ChatRole.User, "Largest city in Mexico?")], options, Ct);

        var body = JsonNode.Parse(Assert.Single(handler.Sent).Body)!;
        Assert.Equal("application/json", body["generationConfig"]!["responseMimeType"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(schema.GetRawText()), body["generationConfig"]!["responseJsonSchema"]));
        Assert.Equal(100, body["generationConfig"]!["maxOutputTokens"]!.GetValue<int>());
        Assert.Equal(["Answer in JSON.", "You are a geographer."], body["systemInstruction"]!["parts"]!.AsArray().Select(p => p!["text"]!.GetValue<string>()));
        Assert.Single(body["contents"]!.AsArray());
        Assert.Equal("Mexico City", JsonDocument.Parse(response.Text).RootElement.GetProperty("city").GetString());
    }

    [Theory]
    [InlineData("europe-west4", "https://europe-west4-aiplatform.googleapis.com/v1/projects/p1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent")]
    [InlineData("global", "https://aiplatform.googleapis.com/v1/projects/p1/locations/global/publishers/google/models/gemini-2.5-pro:generateContent")]
    public async Task Vertex_requests_go_to_the_locations_endpoint_with_a_bearer_token(string location, string url)
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("ok"));
        var options = new GeminiOptions { Model = "gemini-2.5-pro", Vertex = { Project = "p1", Location = location, AccessToken = "vertex-token" } };
        using var client = GeminiFakes.Client(handler, options);

        await client.GetResponseAsync("hi", cancellationToken: Ct);

        var sent = Assert.Single(handler.Sent);
        Assert.Equal(url, sent.Uri.ToString());
        Assert.Equal("Bearer vertex-token", sent.Headers["Authorization"]);
        Assert.False(sent.Headers.ContainsKey("x-goog-api-key"));
    }

    [Fact]
    public async Task Without_a_configured_key_the_key_comes_from_the_secret_store_once()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("ok"), GeminiFakes.TextAnswer("ok"));
        var options = new GeminiOptions { Model = "gemini-2.5-flash" };
        var secrets = new CountingSecrets("key-from-the-store");
        using var client = new GeminiChatClient(new HttpClient(handler), options, new GeminiAuthentication(options, secrets));

        await client.GetResponseAsync("hi", cancellationToken: Ct);
        await client.GetResponseAsync("hi", cancellationToken: Ct);

        Assert.All(handler.Sent, s => Assert.Equal("key-from-the-store", s.Headers["x-goog-api-key"]));
        Assert.Equal(["gemini-api-key"], secrets.Asked);
    }

    [Fact]
    public async Task A_missing_key_is_an_error_that_says_what_to_set_and_sends_nothing()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("never"));
        var options = new GeminiOptions { Model = "gemini-2.5-flash" };
        using var client = new GeminiChatClient(new HttpClient(handler), options, new GeminiAuthentication(options, new CountingSecrets(null)));

        var error = await Assert.ThrowsAsync<LlmException>(() => client.GetResponseAsync("hi", cancellationToken: Ct));

        Assert.Contains("GEMINI_API_KEY", error.Message, StringComparison.Ordinal);
        Assert.Contains("gemini-api-key", error.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Sent);
    }

    [Fact]
    public async Task An_error_in_the_middle_of_a_stream_is_a_typed_exception()
    {
        using var handler = new FakeHttpHandler().Answer(HttpStatusCode.OK,
            """data: {"candidates":[{"content":{"parts":[{"text":"Once"}],"role":"model"}}]}""" + "\n\n"
            + """data: {"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}""" + "\n\n",
            "text/event-stream");
        using var client = GeminiFakes.Client(handler);
        var seen = new List<string>();

        var error = await Assert.ThrowsAsync<GeminiServerException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("story", cancellationToken: Ct))
            {
                seen.Add(update.Text);
            }
        });

        Assert.Equal(["Once"], seen);
        Assert.Equal("The model is overloaded.", error.ServerMessage);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task Pass_through_options_are_merged_into_the_request()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("ok"));
        using var client = GeminiFakes.Client(handler);
        var options = new ChatOptions
        {
            AdditionalProperties = new()
            {
                ["gemini:safetySettings"] = JsonNode.Parse("""[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_LOW_AND_ABOVE"}]"""),
                ["gemini:generationConfig.responseModalities"] = new[] { "TEXT" },
                ["unrelated"] = "ignored",
            },
        };

        await client.GetResponseAsync("hi", options, Ct);

        var body = JsonNode.Parse(Assert.Single(handler.Sent).Body)!;
        Assert.Equal("BLOCK_LOW_AND_ABOVE", body["safetySettings"]![0]!["threshold"]!.GetValue<string>());
        Assert.Equal("TEXT", body["generationConfig"]!["responseModalities"]![0]!.GetValue<string>());
        Assert.Null(body["unrelated"]);
    }

    [Fact]
    public void Request_comparison_ignores_only_what_the_api_treats_as_the_same()
    {
        var recorded = JsonNode.Parse("""
            {"generationConfig":{"thinkingConfig":{"include_thoughts":true}},"contents":[{"role":"model","parts":[{"text":"x","thoughtSignature":"ab-_"}]}],
             "tools":[{"functionDeclarations":[{"name":"f","description":"","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING"}}}}]}],"seed":1}
            """);
        var equivalent = JsonNode.Parse("""
            {"contents":[{"parts":[{"thoughtSignature":"ab+/","text":"x"}],"role":"model"}],"generationConfig":{"thinkingConfig":{"includeThoughts":true}},
             "tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object","properties":{"a":{"type":"string"}}}}]}],"seed":1.0,"safetySettings":{}}
            """);
        var different = JsonNode.Parse(equivalent!.ToJsonString().Replace("\"x\"", "\"y\"", StringComparison.Ordinal));

        Assert.Empty(JsonSemantics.Differences(recorded, equivalent, []));
        Assert.Equal(["$.contents[0].parts[0].text: recorded \"x\", sent \"y\""], JsonSemantics.Differences(recorded, different, []));
        Assert.Empty(JsonSemantics.Differences(recorded, different, ["/contents/0/parts/0/text"]));
    }

    private sealed class CountingSecrets(string? value) : ISecretStore
    {
        public List<string> Asked { get; } = [];

        public Task<string?> GetSecretAsync(string name, CancellationToken cancellationToken = default)
        {
            Asked.Add(name);
            return Task.FromResult(value);
        }
    }
}
