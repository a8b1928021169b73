using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Maximus.Llm.Gemini;
using Maximus.Llm.Tests.Support;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Tests;

/// <summary>Microsoft.Extensions.AI contents and the Gemini parts they map to: media, multimodal function results, code execution.</summary>
public sealed class GeminiPartsTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static JsonNode? WithPng(string json) => JsonNode.Parse(json.Replace("PNG-BYTES", Convert.ToBase64String(Png), StringComparison.Ordinal));

    [Fact]
    public async Task A_function_result_holding_media_goes_back_as_a_function_response_with_parts()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("Seen."));
        using var client = GeminiFakes.Client(handler);
        var report = new UriContent(new Uri("https://generativelanguage.googleapis.com/v1beta/files/report-1"), "application/pdf")
        {
            AdditionalProperties = new() { [GeminiChatClient.DisplayNameKey] = "report.pdf" },
        };
        List<ChatMessage> history =
        [
            new(ChatRole.User, "Take a screenshot, fetch the report and count."),
            new(ChatRole.Assistant, [new FunctionCallContent("c1", "screenshot"), new FunctionCallContent("c2", "report"), new FunctionCallContent("c3", "count")]),
            new(ChatRole.Tool,
            [
                new FunctionResultContent("c1", new DataContent(Png, "image/png") { Name = "shot.png" }),
                new FunctionResultContent("c2", new List<AIContent> { new TextContent("The report."), report }),
                new FunctionResultContent("c3", new[] { 1, 2 }),
            ]),
        ];

        await client.GetResponseAsync(history, cancellationToken: Ct);

        var sent = JsonNode.Parse(Assert.Single(handler.Sent).Body)!["contents"]![2];
        var expected = WithPng("""
            {"parts": [
              {"functionResponse": {"name": "screenshot", "id": "c1", "response": {},
                "parts": [{"inlineData": {"mimeType": "image/png", "data": "PNG-BYTES", "displayName": "shot.png"}}]}},
              {"functionResponse": {"name": "report", "id": "c2", "response": {"output": "The report."},
                "parts": [{"fileData": {"mimeType": "application/pdf", "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/report-1", "displayName": "report.pdf"}}]}},
              {"functionResponse": {"name": "count", "id": "c3", "response": {"output": [1, 2]}}}],
             "role": "user"}
            """);
        Assert.True(JsonNode.DeepEquals(expected, sent), sent!.ToJsonString());
    }

    [Fact]
    public async Task Media_in_a_user_message_are_inline_and_file_parts_without_display_names()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("A chart."));
        using var client = GeminiFakes.Client(handler);

        await client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, [new TextContent("What is this?"), new DataContent(Png, "image/png") { Name = "a.png" }, new UriContent(new Uri("gs://bucket/b.pdf"), "application/pdf")])],
            cancellationToken: Ct);

        var parts = JsonNode.Parse(Assert.Single(handler.Sent).Body)!["contents"]![0]!["parts"];
        var expected = WithPng("""
            [{"text": "What is this?"},
             {"inlineData": {"mimeType": "image/png", "data": "PNG-BYTES"}},
             {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://bucket/b.pdf"}}]
            """);
        Assert.True(JsonNode.DeepEquals(expected, parts), parts!.ToJsonString());
    }

    private const string CodeParts = """
        [{"executableCode": {"language": "PYTHON", "code": "print(6 * 7)"}},
         {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "42\n"}},
         {"executableCode": {"id": "code-2", "language": "PYTHON", "code": "1 / 0"}, "thoughtSignature": "c2lnbmF0dXJl"},
         {"codeExecutionResult": {"id": "code-2", "outcome": "OUTCOME_FAILED", "output": "ZeroDivisionError"}},
         {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
         {"fileData": {"mimeType": "text/csv", "fileUri": "https://example.com/data.csv"}},
         {"text": "The answer is 42."}]
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Code_execution_and_media_answers_are_read_as_contents_and_sent_back_as_they_came(bool stream)
    {
        var answer = $$"""{"candidates": [{"content": {"role": "model", "parts": {{CodeParts}}}, "finishReason": "STOP", "index": 0}], "responseId": "code-1"}""";
        using var handler = new FakeHttpHandler()
            .Answer(HttpStatusCode.OK, stream ? $"data: {answer.ReplaceLineEndings(" ")}\r\n\r\n" : answer, stream ? "text/event-stream" : "application/json")
            .Answer(HttpStatusCode.OK, GeminiFakes.TextAnswer("You are welcome."));
        using var client = GeminiFakes.Client(handler);
        List<ChatMessage> history = [new(ChatRole.User, "Compute 6 * 7 with code.")];
        var options = new ChatOptions { Tools = [new HostedCodeInterpreterTool()] };

        var response = stream
            ? await client.GetStreamingResponseAsync(history, options, Ct).ToChatResponseAsync(Ct)
            : await client.GetResponseAsync(history, options, Ct);

        var contents = response.Messages.SelectMany(m => m.Contents).ToList();
        var calls = contents.OfType<CodeInterpreterToolCallContent>().ToList();
        var results = contents.OfType<CodeInterpreterToolResultContent>().ToList();
        Assert.Equal(2, calls.Count);
        var code = Assert.IsType<DataContent>(Assert.Single(calls[0].Inputs!));
        Assert.Equal(("text/x-python", "print(6 * 7)"), (code.MediaType, Encoding.UTF8.GetString(code.Data.Span)));
        Assert.Equal(calls[0].CallId, results[0].CallId);
        Assert.Equal("42\n", Assert.IsType<TextContent>(Assert.Single(results[0].Outputs!)).Text);
        Assert.Equal(("code-2", "code-2"), (calls[1].CallId, results[1].CallId));
        var failure = Assert.IsType<ErrorContent>(Assert.Single(results[1].Outputs!));
        Assert.Equal(("ZeroDivisionError", "OUTCOME_FAILED"), (failure.Message, failure.ErrorCode));
        Assert.Equal("image/png", Assert.Single(contents.OfType<DataContent>()).MediaType);
        Assert.Equal("https://example.com/data.csv", Assert.Single(contents.OfType<UriContent>()).Uri.ToString());
        Assert.Equal("The answer is 42.", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);

        history.AddRange(response.Messages);
        history.Add(new ChatMessage(ChatRole.User, "Thanks."));
        await client.GetResponseAsync(history, options, Ct);

        var sent = JsonNode.Parse(handler.Sent[1].Body)!["contents"]![1]!;
        Assert.Equal("model", sent["role"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(CodeParts), sent["parts"]), sent["parts"]!.ToJsonString());
    }

    [Fact]
    public async Task Code_interpreter_contents_made_by_hand_become_python_code_parts()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("ok"));
        using var client = GeminiFakes.Client(handler);
        List<ChatMessage> history =
        [
            new(ChatRole.User, "Run it."),
            new(ChatRole.Assistant,
            [
                new CodeInterpreterToolCallContent("mine") { Inputs = [new TextContent("print('hi')")] },
                new CodeInterpreterToolResultContent("mine") { Outputs = [new TextContent("hi\n")] },
                new CodeInterpreterToolResultContent("late") { Outputs = [new ErrorContent("timed out") { ErrorCode = "OUTCOME_DEADLINE_EXCEEDED" }] },
            ]),
        ];

        await client.GetResponseAsync(history, cancellationToken: Ct);

        var parts = JsonNode.Parse(Assert.Single(handler.Sent).Body)!["contents"]![1]!["parts"];
        var expected = JsonNode.Parse("""
            [{"executableCode": {"language": "PYTHON", "code": "print('hi')", "id": "mine"}},
             {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "hi\n", "id": "mine"}},
             {"codeExecutionResult": {"outcome": "OUTCOME_DEADLINE_EXCEEDED", "output": "timed out", "id": "late"}}]
            """);
        Assert.True(JsonNode.DeepEquals(expected, parts), parts!.ToJsonString());
    }
}
