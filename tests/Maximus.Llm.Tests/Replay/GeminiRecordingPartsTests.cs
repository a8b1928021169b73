using System.Text.Json.Nodes;
using Maximus.Llm.Gemini;
using Maximus.Llm.Tests.Support;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Tests.Replay;

/// <summary>
/// The replay decoder on every part kind of the generateContent REST shape. The recordings here are written by the
/// tests (the shared fixtures hold none with these parts), in the same format as shared/fixtures/gemini/pairs.
/// </summary>
public sealed class GeminiRecordingPartsTests : IDisposable
{
    private const string Png = "iVBORw0KGgr7777//g==";
    private const string Pdf = "JVBERi0xLjQ=";

    private readonly string _folder = Directory.CreateTempSubdirectory("maximus-gemini-parts-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A conversation using every part kind; its later turns answer function calls with file and inline parts.</summary>
    private static JsonObject Body() => JsonNode.Parse("""
        {
          "contents": [
            {"role": "user", "parts": [
              {"text": "Compare the chart with the report."},
              {"inlineData": {"mimeType": "image/png", "data": "PNG-BYTES"}},
              {"fileData": {"mimeType": "application/pdf", "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/report-1"}}]},
            {"role": "model", "parts": [
              {"text": "I need the chart and the logo.", "thought": true, "thoughtSignature": "c2lnbmF0dXJlLTE="},
              {"functionCall": {"id": "call-1", "name": "fetch_chart", "args": {"quarter": "Q3", "options": {"dpi": 300}}}, "thoughtSignature": "c2lnbmF0dXJlLTI="},
              {"functionCall": {"name": "fetch_logo", "args": {}}}]},
            {"role": "user", "parts": [
              {"functionResponse": {"id": "call-1", "name": "fetch_chart", "response": {"output": "The chart and its source."}, "parts": [
                {"inlineData": {"mimeType": "image/png", "data": "PNG-BYTES", "displayName": "chart.png"}},
                {"fileData": {"mimeType": "application/pdf", "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/source-2", "displayName": "source.pdf"}}]}},
              {"functionResponse": {"name": "fetch_logo", "response": {"logo": {"$ref": "logo.png"}, "width": 64}, "parts": [
                {"inlineData": {"mimeType": "image/png", "data": "PNG-BYTES", "displayName": "logo.png"}}]}}]},
            {"role": "model", "parts": [
              {"executableCode": {"language": "PYTHON", "code": "print(6 * 7)"}},
              {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "42\n"}},
              {"executableCode": {"id": "code-2", "language": "PYTHON", "code": "1 / 0"}, "thoughtSignature": "c2lnbmF0dXJlLTM="},
              {"codeExecutionResult": {"id": "code-2", "outcome": "OUTCOME_FAILED", "output": "ZeroDivisionError: division by zero"}},
              {"inlineData": {"mimeType": "application/pdf", "data": "PDF-BYTES"}},
              {"text": "The chart matches the report."},
              {"text": "", "thoughtSignature": "c2lnbmF0dXJlLTQ="}]},
            {"role": "user", "parts": [{"text": "Thanks. Summarise it."}]}
          ],
          "tools": [
            {"functionDeclarations": [
              {"name": "fetch_chart", "description": "The chart of a quarter.", "parametersJsonSchema": {"type": "object", "properties": {"quarter": {"type": "string"}, "options": {"type": "object"}}}},
              {"name": "fetch_logo", "description": "The company logo.", "parametersJsonSchema": {"type": "object", "properties": {}}}]},
            {"codeExecution": {}}
          ]
        }
        """.Replace("PNG-BYTES", Png, StringComparison.Ordinal).Replace("PDF-BYTES", Pdf, StringComparison.Ordinal))!.AsObject();

    private const string Answer = """
        {"candidates": [{"content": {"role": "model", "parts": [
           {"executableCode": {"language": "PYTHON", "code": "print(sum([1, 2]))"}},
           {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "3\n"}},
           {"text": "Summary: the numbers agree."}]},
         "finishReason": "STOP", "index": 0}],
         "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 30, "totalTokenCount": 150},
         "modelVersion": "gemini-2.5-flash", "responseId": "parts-1"}
        """;

    private GeminiRecording Record(JsonObject body, string name = "every-part.json")
    {
        var pair = new JsonObject
        {
            ["id"] = Path.GetFileNameWithoutExtension(name),
            ["description"] = "Written by GeminiRecordingPartsTests: every part kind, multimodal function responses in a later turn.",
            ["api"] = "gemini-api",
            ["exchanges"] = new JsonArray(new JsonObject
            {
                ["interaction"] = 0,
                ["request"] = new JsonObject
                {
                    ["method"] = "POST",
                    ["url"] = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
                    ["body"] = body,
                },
                ["response"] = new JsonObject { ["status"] = 200, ["contentType"] = "application/json", ["body"] = JsonNode.Parse(Answer) },
            }),
        };
        var file = Path.Combine(_folder, name);
        File.WriteAllText(file, pair.ToJsonString());
        return GeminiRecording.Load(file, 0);
    }

    private static JsonObject Rebuild(GeminiRecording recording)
    {
        var (settings, messages, options) = recording.Decode();
        using var client = new GeminiChatClient(new HttpClient(new FakeHttpHandler()), settings);
        return client.BuildRequest(messages, options);
    }

    [Fact]
    public async Task Every_part_kind_replays_and_the_request_builder_gives_back_the_same_parts()
    {
        var recording = Record(Body());

        await GeminiReplayTests.ReplayAsync(recording);

        var recorded = Body()["contents"];
        var rebuilt = Rebuild(recording)["contents"];
        Assert.True(JsonNode.DeepEquals(recorded, rebuilt), $"recorded:\n{recorded!.ToJsonString()}\nrebuilt:\n{rebuilt!.ToJsonString()}");
    }

    [Fact]
    public void A_later_function_response_with_file_and_inline_parts_decodes_to_contents()
    {
        var (_, messages, _) = Record(Body()).Decode();

        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant, ChatRole.User], messages.Select(m => m.Role));
        var results = messages[2].Contents.Cast<FunctionResultContent>().ToList();
        Assert.Equal("call-1", results[0].CallId);
        var chart = Assert.IsType<List<AIContent>>(results[0].Result);
        Assert.Equal("The chart and its source.", Assert.IsType<TextContent>(chart[0]).Text);
        var image = Assert.IsType<DataContent>(chart[1]);
        Assert.Equal(("image/png", "chart.png", Png), (image.MediaType, image.Name, Convert.ToBase64String(image.Data.Span)));
        var source = Assert.IsType<UriContent>(chart[2]);
        Assert.Equal(("application/pdf", "https://generativelanguage.googleapis.com/v1beta/files/source-2", "source.pdf"), (source.MediaType, source.Uri.ToString(), source.AdditionalProperties?[GeminiChatClient.DisplayNameKey]));

        // The result without an id answers the call of the same name, whose id was made up.
        var logoCall = messages[1].Contents.OfType<FunctionCallContent>().Single(c => c.Name == "fetch_logo");
        Assert.Equal(logoCall.CallId, results[1].CallId);
        var logo = Assert.IsType<List<object?>>(results[1].Result);
        Assert.Equal("""{"logo":{"$ref":"logo.png"},"width":64}""", JsonNode.Parse(((System.Text.Json.JsonElement)logo[0]!).GetRawText())!.ToJsonString());
        Assert.Equal("logo.png", Assert.IsType<DataContent>(logo[1]).Name);

        var code = messages[3].Contents;
        var calls = code.OfType<CodeInterpreterToolCallContent>().ToList();
        var outcomes = code.OfType<CodeInterpreterToolResultContent>().ToList();
        Assert.Equal("print(6 * 7)", Assert.IsType<DataContent>(Assert.Single(calls[0].Inputs!)).Data.ToArray() is var bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null);
        Assert.Equal("text/x-python", ((DataContent)calls[0].Inputs![0]).MediaType);
        Assert.Equal(calls[0].CallId, outcomes[0].CallId);
        Assert.Equal("42\n", Assert.IsType<TextContent>(Assert.Single(outcomes[0].Outputs!)).Text);
        Assert.Equal(("code-2", "code-2"), (calls[1].CallId, outcomes[1].CallId));
        var failure = Assert.IsType<ErrorContent>(Assert.Single(outcomes[1].Outputs!));
        Assert.Equal(("ZeroDivisionError: division by zero", "OUTCOME_FAILED"), (failure.Message, failure.ErrorCode));
        Assert.Equal("c2lnbmF0dXJlLTM=", calls[1].AdditionalProperties?[GeminiChatClient.ThoughtSignatureKey]);
        Assert.IsType<TextReasoningContent>(messages[1].Contents[0]);
    }

    [Fact]
    public async Task Snake_case_fields_and_url_safe_bytes_decode_like_the_camel_case_recording()
    {
        var body = Body();
        body["contents"] = Snake(body["contents"]);
        var recording = Record(body, "every-part-snake.json");
        Assert.Contains("function_response", File.ReadAllText(recording.File), StringComparison.Ordinal);

        await GeminiReplayTests.ReplayAsync(recording);

        var recorded = Body()["contents"];
        var rebuilt = Rebuild(recording)["contents"];
        Assert.True(JsonNode.DeepEquals(recorded, rebuilt), $"recorded:\n{recorded!.ToJsonString()}\nrebuilt:\n{rebuilt!.ToJsonString()}");
    }

    [Theory]
    [InlineData("""{"videoMetadata": {"fps": 1}, "fileData": {"mimeType": "video/mp4", "fileUri": "https://example.com/v.mp4"}}""", "contents[0].parts[1] has the keys [videoMetadata, fileData]")]
    [InlineData("""{"toolCall": {"id": "t-1"}}""", "contents[0].parts[1] has the keys [toolCall]")]
    [InlineData("""{"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}, "thought": true}""", "contents[0].parts[1] has the keys [inlineData, thought]")]
    [InlineData("""{"functionResponse": {"response": {}}}""", "contents[0].parts[1].functionResponse has the keys [response] but no 'name'")]
    [InlineData("""{"functionResponse": {"name": "f", "response": {}, "parts": [{"text": "x"}]}}""", "contents[0].parts[1].functionResponse.parts[0] has the keys [text]")]
    [InlineData("""{"functionResponse": {"name": "f", "response": {}, "willContinue": true}}""", "contents[0].parts[1].functionResponse has the keys [name, response, willContinue]")]
    [InlineData("""{"fileData": {"fileUri": "https://example.com/a.pdf"}}""", "contents[0].parts[1].fileData has the keys [fileUri] but no 'mimeType'")]
    [InlineData("""{"executableCode": {"language": "PYTHON", "code": 7}}""", "contents[0].parts[1].executableCode.code is the number 7, not a string")]
    [InlineData("""null""", "contents[0].parts[1] is absent or null, not a part object")]
    public void A_part_the_decoder_does_not_know_is_an_error_naming_its_place_and_keys(string part, string expected)
    {
        var body = JsonNode.Parse($$"""{"contents": [{"role": "user", "parts": [{"text": "hi"}, {{part}}]}]}""")!.AsObject();

        var error = Assert.Throws<InvalidDataException>(() => Record(body, "unknown-part.json").Decode());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("unknown-part.json exchange 0: request.body.contents[0].parts[1]", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The recording as the Python SDK may write it: snake_case field names (not inside args and responses), url-safe unpadded bytes.</summary>
    private static JsonNode? Snake(JsonNode? node, bool inBlob = false) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(
            SnakeCase(p.Key),
            p.Key is "args" or "response" ? p.Value?.DeepClone()
            : inBlob && p.Key == "data" ? JsonValue.Create(p.Value!.GetValue<string>().TrimEnd('=').Replace('+', '-').Replace('/', '_'))
            : Snake(p.Value, inBlob: p.Key == "inlineData")))),
        JsonArray array => new JsonArray([.. array.Select(x => Snake(x))]),
        _ => node?.DeepClone(),
    };

    private static string SnakeCase(string key) =>
        string.Concat(key.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : c.ToString()));
}
