using Maximus.Contracts.Ports;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Maximus.ServiceDefaults;

/// <summary>Turns <see cref="ProblemException"/> and bad requests into RFC 9457 problem+json; hides other exceptions' details.</summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            ProblemException p => ToProblem(p),
            BadHttpRequestException b => new ProblemDetails { Status = b.StatusCode, Title = "Bad request", Detail = b.Message },
            InvocationException i => new ProblemDetails { Status = i.Status >= 500 ? 502 : i.Status, Title = "Downstream call failed", Detail = i.Message },
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => null,
            _ => new ProblemDetails { Status = 500, Title = "Internal error", Detail = "The server could not complete the request." },
        };
        if (problem is null)
        {
            return true;
        }

        if (problem.Status >= 500)
        {
            LogFailure(logger, exception, httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = problem.Status ?? 500;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception })
            .ConfigureAwait(false);
    }

    internal static ProblemDetails ToProblem(ProblemException p)
    {
        var problem = new ProblemDetails { Status = p.Status, Title = p.Title, Detail = p.Detail };
        if (p.Field is not null)
        {
            problem.Extensions["field"] = p.Field;
            problem.Extensions["errors"] = p.Errors ?? new Dictionary<string, string[]> { [p.Field] = [p.Detail ?? p.Title] };
        }

        return problem;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {Path} failed")]
    private static partial void LogFailure(ILogger logger, Exception exception, string path);
}
