using System.CommandLine;
using Maximus.Cli;
using Maximus.Mcp.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Cli.Commands;

/// <summary><c>maximus mcp serve</c>: Maximus as an MCP server over stdio, for Claude Desktop, VS Code, Cursor and other MCP clients.</summary>
internal static class McpCommands
{
    public static Command Create(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var mcp = new Command("mcp", "Model Context Protocol: let an AI assistant use Maximus's memory, missions and planner.");
        var serve = new Command(
            "serve",
            "Serve MCP over stdio (the client starts this command). stdout carries only protocol messages; logs go to stderr. " +
            "The host serves the same tools over Streamable HTTP at /mcp.");
        serve.SetAction(async (result, cancellationToken) =>
        {
            var ctx = CommandContext.From(result, dataDir, runtime, verbose);
            await using var started = await CliRuntime.StartAsync(ctx.Runtime, ctx.DataDirectory, ctx.Verbose, cancellationToken,
                builder => builder.Services.AddMcpServer().WithStdioServerTransport()).ConfigureAwait(false);

            // The stdio session ends when the client closes stdin: the SDK then stops the application.
            var stopping = started.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            using var either = CancellationTokenSource.CreateLinkedTokenSource(stopping, cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The client went away or the user pressed Ctrl+C: stop as usual.
            }

            await started.DrainAsync().ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        mcp.Subcommands.Add(serve);
        return mcp;
    }
}
