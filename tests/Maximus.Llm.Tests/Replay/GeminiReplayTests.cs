using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Llm.Gemini;
using Maximus.Llm.Tests.Support;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Tests.Replay;

/// <summary>
/// Replays every recorded Gemini exchange (<c>MAXIMUS_GEMINI_FIXTURES</c>, default ../shared/fixtures/gemini/pairs)
/// through a fake HTTP handler: the request the client builds for the recorded call must mean the same as the recorded
/// request, and the client's reading of the recorded response must match what the response says. A recording dropped
/// into the folder becomes one more test case per exchange, with no code change.
/// </summary>
public sealed class GeminiReplayTests
{
    public static IEnumerable<TheoryDataRow<string, int>> Exchanges()
    {
        var folder = GeminiRecording.Folder;
        if (!Directory.Exists(folder))
        {
            yield return new TheoryDataRow<string, int>("", -1);
            yield break;
        }

        foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            int count;
            try
            {
                count = GeminiRecording.ExchangeCount(file);
            }
            catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException)
            {
                count = 1;
            }

            for (var i = 0; i < Math.Max(1, count); i++)
            {
                yield return new TheoryDataRow<string, int>(Path.GetFileName(file), i);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Exchanges))]
    public async Task Recorded_exchange_is_rebuilt_and_read_back_as_recorded(string file, int exchange)
    {
        if (exchange < 0)
        {
            Assert.Skip($"No Gemini recordings: the folder {GeminiRecording.Folder} does not exist (set MAXIMUS_GEMINI_FIXTURES to the folder of the pairs).");
        }

        await ReplayAsync(GeminiRecording.Load(Path.Combine(GeminiRecording.Folder, file), exchange));
    }

    /// <summary>Decodes the recorded call, sends it through a client over a fake server answering as recorded, and checks both ways.</summary>
    internal static async Task ReplayAsync(GeminiRecording recording)
    {
        var (settings, messages, options) = recording.Decode();
        using var handler = new FakeHttpHandler().Answer(
            (HttpStatusCode)recording.Status,
            recording.ResponseText(),
            recording.Response["contentType"]?.GetValue<string>() ?? "application/json");
        using var client = new GeminiChatClient(new HttpClient(handler), settings);

        ChatResponse? response = null;
        Exception? error = null;
        try
        {
            response = recording.IsStream
                ? await client.GetStreamingResponseAsync(messages, options, TestContext.Current.CancellationToken).ToChatResponseAsync(TestContext.Current.CancellationToken)
                : await client.GetResponseAsync(messages, options, TestContext.Current.CancellationToken);
        }
        catch (LlmApiException ex)
        {
            error = ex;
        }

        var sent = Assert.Single(handler.Sent);
        if (recording.Request is { } request)
        {
            AssertSameRequest(recording, request, sent, settings);
        }

        if (recording.Status >= 400)
        {
            AssertSameError(recording, error);
        }
        else
        {
            Assert.Null(error);
            AssertSameResponse(RecordedOutcome.From(recording.Response), response!);
        }
    }

    private static void AssertSameRequest(GeminiRecording recording, JsonObject request, SentRequest sent, GeminiOptions settings)
    {
        Assert.Equal(request["method"]?.GetValue<string>() ?? "POST", sent.Method.Method);
        Assert.Equal(request["url"]!.GetValue<string>(), sent.Uri.ToString());
        if (settings.UsesVertex)
        {
            Assert.Equal($"Bearer {GeminiRecording.TestToken}", sent.Headers["Authorization"]);
            Assert.False(sent.Headers.ContainsKey("x-goog-api-key"));
        }
        else
        {
            Assert.Equal(GeminiFakes.TestKey, sent.Headers["x-goog-api-key"]);
        }

        var differences = JsonSemantics.Differences(request["body"], JsonNode.Parse(sent.Body), recording.Irrelevant);
        Assert.True(differences.Count == 0, $"{recording.File} #{recording.Index}: the request differs from the recording:\n{string.Join('\n', differences)}");
    }

    private static void AssertSameError(GeminiRecording recording, Exception? error)
    {
        var recorded = recording.Response["body"]?["error"];
        var exception = Assert.IsAssignableFrom<GeminiApiException>(error);
        Assert.Equal(recording.Status, exception.StatusCode);
        Assert.Equal(recorded?["message"]?.GetValue<string>(), exception.ServerMessage);
        Assert.Equal(recorded?["status"]?.GetValue<string>(), exception.ServerStatus);
        Assert.Contains(exception.ServerMessage, exception.Message, StringComparison.Ordinal);
        var expectedType = recording.Status switch
        {
            400 => typeof(GeminiBadRequestException),
            401 or 403 => typeof(GeminiPermissionDeniedException),
            404 => typeof(GeminiNotFoundException),
            429 => typeof(GeminiRateLimitException),
            >= 500 => typeof(GeminiServerException),
            _ => typeof(GeminiApiException),
        };
        Assert.IsType(expectedType, exception);
        var retry = (recorded?["details"] as JsonArray ?? [])
            .FirstOrDefault(d => d?["@type"]?.GetValue<string>()?.EndsWith("google.rpc.RetryInfo", StringComparison.Ordinal) == true)?["retryDelay"]?.GetValue<string>();
        Assert.Equal(retry is null ? null : TimeSpan.FromSeconds(double.Parse(retry.TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture)), exception.RetryAfter);
        Assert.Equal(recording.Status is 429 or >= 500, exception.IsTransient);
    }

    private static void AssertSameResponse(RecordedOutcome expected, ChatResponse response)
    {
        var contents = response.Messages.SelectMany(m => m.Contents).ToList();
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(expected.Thoughts, string.Concat(contents.OfType<TextReasoningContent>().Select(r => r.Text)));

        var calls = contents.OfType<FunctionCallContent>().ToList();
        Assert.Equal(expected.FunctionCalls.Select(c => c.Name), calls.Select(c => c.Name));
        for (var i = 0; i < calls.Count; i++)
        {
            var args = JsonSerializer.SerializeToNode(calls[i].Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions);
            Assert.True(JsonNode.DeepEquals(expected.FunctionCalls[i].Args, args), $"arguments of {calls[i].Name}: recorded {expected.FunctionCalls[i].Args.ToJsonString()}, read {args?.ToJsonString()}");
            Assert.False(string.IsNullOrEmpty(calls[i].CallId));
        }

        // Every thought signature is kept on a content, so that it can be sent back in the next turn.
        var kept = contents.Select(c => c.AdditionalProperties?.GetValueOrDefault(GeminiChatClient.ThoughtSignatureKey) as string).OfType<string>().ToList();
        Assert.All(expected.Signatures, s => Assert.Contains(s, kept));

        if (expected.PromptTokens is null && expected.CandidateTokens is null && expected.ThoughtTokens is null && expected.TotalTokens is null)
        {
            Assert.Null(response.Usage);
        }
        else
        {
            var usage = Assert.IsType<UsageDetails>(response.Usage);
            Assert.Equal(expected.PromptTokens, usage.InputTokenCount);
            Assert.Equal(expected.CandidateTokens is null && expected.ThoughtTokens is null ? null : (expected.CandidateTokens ?? 0) + (expected.ThoughtTokens ?? 0), usage.OutputTokenCount);
            Assert.Equal(expected.ThoughtTokens, usage.ReasoningTokenCount);
            Assert.Equal(expected.TotalTokens, usage.TotalTokenCount);
            if (expected.ThoughtTokens is { } thoughts)
            {
                Assert.Equal(thoughts, usage.AdditionalCounts?["thoughtsTokenCount"]);
            }
        }

        Assert.True(response.TryGet<GeminiOutcome>(GeminiOutcome.Key, out var outcome), "the response carries no Gemini outcome");
        Assert.Equal(expected.FinishReason, outcome.FinishReason);
        Assert.Equal(expected.BlockReason, outcome.BlockReason);
        Assert.Equal(expected.BlockMessage, outcome.BlockReasonMessage);
        Assert.Equal(expected.BlockedCategories, outcome.BlockedCategories);
        Assert.Equal(expected.Blocked, outcome.Blocked);
        ChatFinishReason? finish = expected switch
        {
            { BlockReason: not null } => ChatFinishReason.ContentFilter,
            { FinishReason: null } => null,
            { FinishReason: "STOP", FunctionCalls.Count: > 0 } => ChatFinishReason.ToolCalls,
            { FinishReason: "STOP" } => ChatFinishReason.Stop,
            { FinishReason: "MAX_TOKENS" } => ChatFinishReason.Length,
            { Blocked: true } => ChatFinishReason.ContentFilter,
            _ => new ChatFinishReason(expected.FinishReason!.ToLowerInvariant()),
        };
        Assert.Equal(finish, response.FinishReason);
    }
}
