using Maximus.Contracts.Ports;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Maximus.ServiceDefaults;

/// <summary>Turns <see cref="ProblemException"/> and bad requests into RFC 9457 problem+json; hides other exceptions' details.</summary>
internal sealed partial class ProblemExceptionHandler(
    IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger, Microsoft.Extensions.Options.IOptions<ServiceDefaultsOptions> options) : IExceptionHandler
{

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            ProblemException p => ToProblem(p),
            BadHttpRequestException b => new ProblemDetails { Status = b.StatusCode, Title = "Bad request", Detail = b.Message },
            InvocationException i => new ProblemDetails { Status = i.Status >= 500 ? 502 : i.Status, Title = "Downstream call failed", Detail = i.Message },
            Microsoft.Data.Sqlite.SqliteException s when Maximus.Sqlite.DataFileException.IsStorageFailure(s) => StorageProblem(s),
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

    /// <summary>A write the disk refused (full, a file-size limit, an I/O error): 507, naming the data directory. Nothing was committed.</summary>
    private ProblemDetails StorageProblem(Microsoft.Data.Sqlite.SqliteException exception)
    {
        var directory = options.Value.DataDirectory ?? "the data directory";
        LogStorageFailure(logger, exception, directory);
        return new ProblemDetails
        {
            Status = 507,
            Title = "Storage failure",
            Detail = $"Writing to {directory} failed ({exception.Message.TrimEnd('.')}): the disk may be full. Nothing of this request was committed; "
                + $"free space and retry. 'maximus doctor --data-dir {directory}' checks the files.",
        };
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

    [LoggerMessage(Level = LogLevel.Critical, Message = "Writing to the data directory {DataDirectory} failed: is its disk full?")]
    private static partial void LogStorageFailure(ILogger logger, Exception exception, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {Path} failed")]
    private static partial void LogFailure(ILogger logger, Exception exception, string path);
}
