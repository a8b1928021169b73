using System.Net;
using Maximus.Llm.Accounting;
using Maximus.Llm.Gemini;
using Maximus.Llm.Pipeline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Maximus.Llm.Tests.Support;

/// <summary>Gemini answers and clients over a fake handler, for the unit tests.</summary>
internal static class GeminiFakes
{
    public const string TestKey = "test-key-not-a-secret";

    public static string TextAnswer(string text, string model = "gemini-2.5-flash", int prompt = 10, int candidates = 5, int thoughts = 0) => $$"""
        {"candidates":[{"content":{"parts":[{"text":{{System.Text.Json.JsonSerializer.Serialize(text)}}}],"role":"model"},"finishReason":"STOP","index":0}],
         "usageMetadata":{"promptTokenCount":{{prompt}},"candidatesTokenCount":{{candidates}},"thoughtsTokenCount":{{thoughts}},"totalTokenCount":{{prompt + candidates + thoughts}}},
         "modelVersion":"{{model}}","responseId":"r-1"}
        """;

    public static string Error(int code, string status, string message, string? retryDelay = null)
    {
        var retry = retryDelay is null ? "" : $$""",{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"{{retryDelay}}"}""";
        return $$$"""
            {"error":{"code":{{{code}}},"message":{{{System.Text.Json.JsonSerializer.Serialize(message)}}},"status":"{{{status}}}","details":[
              {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]}{{{retry}}}]}}
            """;
    }

    public static GeminiOptions Options(string model = "gemini-2.5-flash") => new() { ApiKey = TestKey, Model = model, FastModel = null };

    public static GeminiChatClient Client(FakeHttpHandler handler, GeminiOptions? options = null) =>
        new(new HttpClient(handler), options ?? Options());

    /// <summary>The whole LLM pipeline around a Gemini client over the fake handler.</summary>
    public static IChatClient Pipeline(
        FakeHttpHandler handler,
        LlmOptions? llm = null,
        GeminiOptions? gemini = null,
        TimeProvider? time = null,
        LlmSpendLedger? ledger = null,
        ILoggerFactory? loggers = null)
    {
        llm ??= new LlmOptions();
        gemini ??= Options();
        time ??= TimeProvider.System;
        return LlmPipeline.Create(
            Client(handler, gemini),
            llm,
            gemini.ModelFor,
            ledger ?? new LlmSpendLedger(null, time),
            new LlmPriceTable(llm.Prices),
            new LlmResponseCache(llm.Cache, time),
            time,
            loggers);
    }

    public static FakeHttpHandler Answering(params string[] bodies)
    {
        var handler = new FakeHttpHandler();
        foreach (var body in bodies)
        {
            handler.Answer(HttpStatusCode.OK, body);
        }

        return handler;
    }
}
