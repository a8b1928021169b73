using System.Text.Json;

namespace Maximus.Llm.Gemini;

/// <summary>The Gemini API or Vertex AI answered with an error status; subclasses name the common ones.</summary>
public class GeminiApiException : LlmApiException
{
    public GeminiApiException()
    {
    }

    public GeminiApiException(string message)
        : base(message)
    {
    }

    public GeminiApiException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public GeminiApiException(int statusCode, string? serverStatus, string serverMessage, TimeSpan? retryAfter = null, JsonElement? details = null)
        : base(statusCode, serverStatus, serverMessage, retryAfter, details, "Gemini")
    {
    }

    /// <summary>The typed exception for a status: 400, 401/403, 404, 429, 5xx; others are <see cref="GeminiApiException"/>.</summary>
    public static GeminiApiException For(int statusCode, string? serverStatus, string serverMessage, TimeSpan? retryAfter, JsonElement? details) => statusCode switch
    {
        400 => new GeminiBadRequestException(statusCode, serverStatus, serverMessage, details),
        401 or 403 => new GeminiPermissionDeniedException(statusCode, serverStatus, serverMessage, details),
        404 => new GeminiNotFoundException(statusCode, serverStatus, serverMessage, details),
        429 => new GeminiRateLimitException(statusCode, serverStatus, serverMessage, retryAfter, details),
        >= 500 => new GeminiServerException(statusCode, serverStatus, serverMessage, retryAfter, details),
        _ => new GeminiApiException(statusCode, serverStatus, serverMessage, retryAfter, details),
    };
}

/// <summary>400 INVALID_ARGUMENT / FAILED_PRECONDITION: the request is wrong (not retried).</summary>
public sealed class GeminiBadRequestException : GeminiApiException
{
    public GeminiBadRequestException()
    {
    }

    public GeminiBadRequestException(string message)
        : base(message)
    {
    }

    public GeminiBadRequestException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public GeminiBadRequestException(int statusCode, string? serverStatus, string serverMessage, JsonElement? details)
        : base(statusCode, serverStatus, serverMessage, null, details)
    {
    }
}

/// <summary>401 UNAUTHENTICATED / 403 PERMISSION_DENIED: a missing, wrong or unauthorised key or token.</summary>
public sealed class GeminiPermissionDeniedException : GeminiApiException
{
    public GeminiPermissionDeniedException()
    {
    }

    public GeminiPermissionDeniedException(string message)
        : base(message)
    {
    }

    public GeminiPermissionDeniedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public GeminiPermissionDeniedException(int statusCode, string? serverStatus, string serverMessage, JsonElement? details)
        : base(statusCode, serverStatus, serverMessage, null, details)
    {
    }
}

/// <summary>404 NOT_FOUND: usually an unknown model id.</summary>
public sealed class GeminiNotFoundException : GeminiApiException
{
    public GeminiNotFoundException()
    {
    }

    public GeminiNotFoundException(string message)
        : base(message)
    {
    }

    public GeminiNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public GeminiNotFoundException(int statusCode, string? serverStatus, string serverMessage, JsonElement? details)
        : base(statusCode, serverStatus, serverMessage, null, details)
    {
    }
}

/// <summary>429 RESOURCE_EXHAUSTED: a quota is used up; <see cref="LlmApiException.RetryAfter"/> says when to try again.</summary>
public sealed class GeminiRateLimitException : GeminiApiException
{
    public GeminiRateLimitException()
    {
    }

    public GeminiRateLimitException(string message)
        : base(message)
    {
    }

    public GeminiRateLimitException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public GeminiRateLimitException(int statusCode, string? serverStatus, string serverMessage, TimeSpan? retryAfter, JsonElement? details)
        : base(statusCode, serverStatus, serverMessage, retryAfter, details)
    {
    }
}

/// <summary>5xx INTERNAL / UNAVAILABLE / DEADLINE_EXCEEDED: the service failed (retried with backoff).</summary>
public sealed class GeminiServerException : GeminiApiException
{
    public GeminiServerException()
    {
    }

    public GeminiServerException(string message)
        : base(message)
    {
    }

    public GeminiServerException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public GeminiServerException(int statusCode, string? serverStatus, string serverMessage, TimeSpan? retryAfter, JsonElement? details)
        : base(statusCode, serverStatus, serverMessage, retryAfter, details)
    {
    }
}
