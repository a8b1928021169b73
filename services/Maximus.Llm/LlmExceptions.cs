using System.Globalization;
using System.Text.Json;

namespace Maximus.Llm;

/// <summary>Something kept the model from answering. Callers with a heuristic fallback catch this.</summary>
public class LlmException : Exception
{
    public LlmException()
    {
    }

    public LlmException(string message)
        : base(message)
    {
    }

    public LlmException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The provider's API answered with an error status. <see cref="ServerMessage"/> is the server's own message,
/// <see cref="ServerStatus"/> its status name (e.g. <c>RESOURCE_EXHAUSTED</c>), <see cref="RetryAfter"/> the wait it asked for.
/// </summary>
public class LlmApiException : LlmException
{
    public LlmApiException()
        : this(0, null, "The model's API failed.")
    {
    }

    public LlmApiException(string message)
        : this(0, null, message)
    {
    }

    public LlmApiException(string message, Exception? innerException)
        : base(message, innerException)
    {
        ServerMessage = message;
    }

    public LlmApiException(int statusCode, string? serverStatus, string serverMessage, TimeSpan? retryAfter = null, JsonElement? details = null, string provider = "llm")
        : base(Describe(provider, statusCode, serverStatus, serverMessage))
    {
        StatusCode = statusCode;
        ServerStatus = serverStatus;
        ServerMessage = serverMessage;
        RetryAfter = retryAfter;
        Details = details;
        Provider = provider;
    }

    /// <summary>The HTTP status code.</summary>
    public int StatusCode { get; }

    public string? ServerStatus { get; }

    public string ServerMessage { get; } = "";

    /// <summary>How long the server asked the client to wait (RetryInfo or Retry-After), if it did.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The error's <c>details</c> array as the server sent it.</summary>
    public JsonElement? Details { get; }

    public string Provider { get; } = "llm";

    /// <summary>Worth retrying: rate limited (429) or a server error (5xx).</summary>
    public bool IsTransient => StatusCode is 429 or 408 || StatusCode >= 500;

    private static string Describe(string provider, int status, string? serverStatus, string message) =>
        string.Create(CultureInfo.InvariantCulture, $"{provider} API error {status}{(serverStatus is null ? "" : " " + serverStatus)}: {message}");
}

/// <summary>The request took longer than its mode's latency budget.</summary>
public sealed class LlmTimeoutException : LlmException
{
    public LlmTimeoutException()
    {
    }

    public LlmTimeoutException(string message)
        : base(message)
    {
    }

    public LlmTimeoutException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public LlmTimeoutException(ThinkingMode mode, TimeSpan budget, Exception? innerException = null)
        : base(string.Create(CultureInfo.InvariantCulture, $"The model did not answer within the {mode.Name()} mode's latency budget of {budget.TotalSeconds:0.###} s."), innerException)
    {
        Mode = mode;
        Budget = budget;
    }

    public ThinkingMode Mode { get; }

    public TimeSpan Budget { get; }
}

/// <summary>The circuit breaker is open after repeated failures: requests fail at once for a while.</summary>
public sealed class LlmUnavailableException : LlmException
{
    public LlmUnavailableException()
    {
    }

    public LlmUnavailableException(string message)
        : base(message)
    {
    }

    public LlmUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public LlmUnavailableException(TimeSpan? retryAfter, Exception? innerException)
        : base(string.Create(CultureInfo.InvariantCulture, $"The model is unavailable after repeated failures (circuit open){(retryAfter is { } r ? $"; try again in {Math.Ceiling(r.TotalSeconds)} s" : "")}."), innerException)
    {
        RetryAfter = retryAfter;
    }

    public TimeSpan? RetryAfter { get; }
}

/// <summary>The month's spend reached the budget and the layer is configured to refuse.</summary>
public sealed class LlmBudgetExceededException : LlmException
{
    public LlmBudgetExceededException()
    {
    }

    public LlmBudgetExceededException(string message)
        : base(message)
    {
    }

    public LlmBudgetExceededException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public LlmBudgetExceededException(string month, decimal spentUsd, decimal budgetUsd)
        : base(string.Create(CultureInfo.InvariantCulture, $"The LLM budget of {month} is spent: ${spentUsd:0.####} of ${budgetUsd:0.####}. Requests are refused until next month (Maximus:Llm:Budget)."))
    {
        Month = month;
        SpentUsd = spentUsd;
        BudgetUsd = budgetUsd;
    }

    public string Month { get; } = "";

    public decimal SpentUsd { get; }

    public decimal BudgetUsd { get; }
}
