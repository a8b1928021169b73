using System.CommandLine;
using Maximus.Contracts.Ports;
using Maximus.Composition;

namespace Maximus.Cli.Commands;

/// <summary>The options every command shares, read from a parse result.</summary>
internal sealed record CommandContext(string DataDirectory, RuntimeKind Runtime, bool Verbose)
{
    public static CommandContext From(ParseResult result, Option<string> dataDir, Option<string> runtime, Option<bool> verbose) =>
        new(
            Path.GetFullPath(result.GetValue(dataDir)!),
            string.Equals(result.GetValue(runtime), "dapr", StringComparison.OrdinalIgnoreCase) ? RuntimeKind.Dapr : RuntimeKind.Embedded,
            result.GetValue(verbose));

    public Task<CliRuntime> StartAsync(CancellationToken cancellationToken) =>
        CliRuntime.StartAsync(Runtime, DataDirectory, Verbose, cancellationToken);

    /// <summary>Runs <paramref name="body"/> on a started runtime; unreachable services give exit code 3.</summary>
    public async Task<int> WithRuntimeAsync(Func<CliRuntime, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            await using var started = await StartAsync(cancellationToken).ConfigureAwait(false);
            return await body(started).ConfigureAwait(false);
        }
        catch (InvocationException ex) when (ex.Status is 400 or 404 or 409 or 415)
        {
            return CliOutput.Error(ex.Detail ?? ex.Message, ExitCodes.BadInput);
        }
        catch (InvocationException ex)
        {
            return CliOutput.Error(ex.Message, ExitCodes.Unavailable);
        }
    }
}
